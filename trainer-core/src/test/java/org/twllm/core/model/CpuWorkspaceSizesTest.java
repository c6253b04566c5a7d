package org.twllm.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.factory.Nd4j;
import org.twllm.core.config.TrainingConfig.Precision;
import org.twllm.core.plan.CpuEngineMemory;
import org.twllm.core.plan.TrainingSetup;

/**
 * The memory model's CPU workspaces ({@link CpuEngineMemory}) are the bytes the model really allocates: each
 * workspace's cycle, after training steps of a fresh model in a fresh thread, against the formula, byte for
 * byte, over shapes that move every term (layers, width, MLP width, heads, GQA, vocabulary, batch, length,
 * packed rows).
 */
class CpuWorkspaceSizesTest {
    private record Case(LlamaConfig shape, int batch, int seqLen, boolean packed) {
    }

    private static LlamaConfig shape(int hidden, int intermediate, int layers, int heads, int kvHeads, int vocab) {
        return new LlamaConfig(hidden, intermediate, layers, heads, kvHeads, vocab, 512, 1e-5, 1e4, false);
    }

    @Test
    void everyWorkspaceHoldsWhatTheModelSays() throws InterruptedException {
        List<Case> cases = List.of(
                new Case(shape(64, 96, 2, 4, 2, 50), 2, 16, false),
                new Case(shape(64, 96, 3, 4, 2, 50), 2, 16, false),
                new Case(shape(128, 96, 2, 4, 4, 50), 2, 16, false),
                new Case(shape(64, 160, 2, 8, 2, 50), 3, 16, false),
                new Case(shape(64, 96, 2, 4, 2, 1200), 1, 40, false),
                new Case(shape(64, 96, 2, 4, 2, 50), 2, 24, true));
        List<String> wrong = new ArrayList<>();
        for (Case c : cases) {
            Map<String, Long> measured = cycleBytes(c);
            TrainingSetup s = new TrainingSetup(c.shape(), c.batch(), c.seqLen(), 1, Precision.FP32, false, 2, 1, c.packed(), 1 << 20, 16 << 20);
            Map<String, Long> modelled = Map.of(Workspaces.STEP, CpuEngineMemory.stepBytes(s),
                    Workspaces.BLOCK, CpuEngineMemory.blockBytes(s), Workspaces.CHUNK, CpuEngineMemory.chunkBytes(s));
            for (Map.Entry<String, Long> m : modelled.entrySet()) {
                if (!m.getValue().equals(measured.get(m.getKey()))) {
                    wrong.add(c + " " + m.getKey() + ": model " + m.getValue() + " bytes, ND4J " + measured.get(m.getKey()));
                }
            }
        }
        assertEquals(List.of(), wrong);
    }

    /** Each workspace's largest cycle after two training steps in a fresh thread (fresh workspaces). */
    private static Map<String, Long> cycleBytes(Case c) throws InterruptedException {
        AtomicReference<Map<String, Long>> out = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread thread = new Thread(() -> {
            try {
                LlamaModel model = LlamaModel.random(c.shape(), DataType.FLOAT, 3, 0.02);
                TokenBatch batch = batch(c);
                for (int step = 0; step < 2; step++) {
                    model.forwardBackward(batch, 1.0 / batch.trainedTokens(), GradientReadyListener.NONE);
                }
                Map<String, Long> sizes = new LinkedHashMap<>();
                for (String id : List.of(Workspaces.STEP, Workspaces.BLOCK, Workspaces.CHUNK)) {
                    MemoryWorkspace ws = Nd4j.getWorkspaceManager().getWorkspaceForCurrentThread(id);
                    sizes.put(id, ws.getMaxCycleAllocations());
                }
                out.set(sizes);
                Nd4j.getWorkspaceManager().destroyAllWorkspacesForCurrentThread();
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        thread.start();
        thread.join();
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        return out.get();
    }

    /** Causal rows, or (packed) rows of two examples each with restarting positions. */
    private static TokenBatch batch(Case c) {
        int n = c.batch() * c.seqLen();
        int[] inputs = new int[n];
        int[] targets = new int[n];
        int[] positions = new int[n];
        int[] examples = new int[n];
        int split = c.seqLen() / 3;
        for (int i = 0; i < n; i++) {
            int t = i % c.seqLen();
            inputs[i] = (i * 7) % c.shape().vocabSize();
            targets[i] = (i * 11 + 3) % c.shape().vocabSize();
            boolean second = c.packed() && t >= split;
            positions[i] = second ? t - split : t;
            examples[i] = second ? 1 : 0;
        }
        return new TokenBatch(c.batch(), c.seqLen(), inputs, targets, positions, examples);
    }
}
