package org.twllm.core.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.factory.Nd4j;
import org.twllm.core.engine.LlamaConfig;
import org.twllm.core.engine.TokenBatch;
import org.twllm.data.loader.Sample;

/** Activation checkpointing: the same gradients as without it, and only each block's input kept. */
class GradientCheckpointingTest {
    /** GQA (4 query heads on 2 key/value heads), three layers. */
    private static LlamaConfig config(int layers) {
        return new LlamaConfig(32, 48, layers, 4, 2, 50, 64, 1e-5, 500.0, false);
    }

    /** Row 0: packed examples of 9 and 11 tokens with ignored prompt targets; row 1: one example of 20. */
    static TokenBatch packedBatch() {
        int t = 20;
        SplittableRandom rng = new SplittableRandom(5);
        int[] inputs = new int[2 * t];
        int[] targets = new int[2 * t];
        int[] positions = new int[2 * t];
        int[] examples = new int[2 * t];
        for (int i = 0; i < 2 * t; i++) {
            inputs[i] = rng.nextInt(50);
            boolean second = i >= 9 && i < t;
            positions[i] = i < t ? (second ? i - 9 : i) : i - t;
            examples[i] = second ? 1 : 0;
            boolean prompt = positions[i] < 3 && i < t;
            targets[i] = prompt ? Sample.IGNORE : rng.nextInt(50);
        }
        return new TokenBatch(2, t, inputs, targets, positions, examples);
    }

    private static float[] gradients(LlamaModel model, TokenBatch batch, double[] loss) {
        FullGradients grads = ModelGradientTest.gradients(model);
        loss[0] = model.forwardBackward(batch, 1.0 / batch.trainedTokens(), grads);
        return grads.flat().toFloatVector();
    }

    @Test
    void gradientsAreBitIdenticalToTheOnesWithoutCheckpointing() {
        LlamaModel model = LlamaModel.random(config(3), DataType.FLOAT, 9, 0.2);
        // tiles of 4 positions: the recomputed forward runs the same tiled kernels, masked and skipped tiles included
        model.setAttentionTileSize(4);
        TokenBatch batch = packedBatch();
        double[] plainLoss = new double[1];
        float[] plain = gradients(model, batch, plainLoss);
        model.setGradientCheckpointing(true);
        double[] checkpointedLoss = new double[1];
        float[] checkpointed = gradients(model, batch, checkpointedLoss);
        assertEquals(plainLoss[0], checkpointedLoss[0], 0.0);
        assertArrayEquals(plain, checkpointed);
        double sumSquares = 0;
        for (float g : plain) {
            sumSquares += g * g;
        }
        assertTrue(sumSquares > 0, "a zero gradient would make the comparison empty");
    }

    /** Workspace sizes after two training steps of a fresh model in a fresh thread (so with fresh workspaces). */
    private record Footprint(long stepBytesPerCycle, long totalWorkspaceBytes) {
        static Footprint of(int layers, boolean checkpointing) throws InterruptedException {
            return FreshWorkspaces.measure(() -> {
                LlamaModel model = LlamaModel.random(config(layers), DataType.FLOAT, 9, 0.2);
                model.setGradientCheckpointing(checkpointing);
                TokenBatch batch = packedBatch();
                FullGradients grads = ModelGradientTest.gradients(model);
                for (int step = 0; step < 2; step++) {
                    model.forwardBackward(batch, 1.0, grads);
                }
                long total = 0;
                for (String id : List.of(Workspaces.STEP, Workspaces.BLOCK, Workspaces.BLOCK_FORWARD, Workspaces.CHUNK,
                        Workspaces.ATTENTION_ROW, Workspaces.ATTENTION_TILE)) {
                    total += Nd4j.getWorkspaceManager().getWorkspaceForCurrentThread(id).getCurrentSize();
                }
                MemoryWorkspace step = Nd4j.getWorkspaceManager().getWorkspaceForCurrentThread(Workspaces.STEP);
                return new Footprint(step.getMaxCycleAllocations(), total);
            });
        }
    }

    @Test
    void onlyEachBlocksInputIsKeptThroughTheForwardPass() throws Exception {
        Footprint plain2 = Footprint.of(2, false);
        Footprint plain8 = Footprint.of(8, false);
        Footprint checkpointed2 = Footprint.of(2, true);
        Footprint checkpointed8 = Footprint.of(8, true);
        long blockInputBytes = 40L * 32 * Float.BYTES;   // one [B*T, hidden] fp32 array
        // six more layers keep six more block inputs in the step workspace, and nothing else
        assertEquals(6 * blockInputBytes, checkpointed8.stepBytesPerCycle() - checkpointed2.stepBytesPerCycle());
        long plainPerLayer = (plain8.stepBytesPerCycle() - plain2.stepBytesPerCycle()) / 6;
        assertTrue(plainPerLayer > 10 * blockInputBytes, "without checkpointing a layer keeps " + plainPerLayer + " bytes");
        // one block's activations at a time (in the block workspaces) instead of every layer's
        assertTrue(checkpointed8.totalWorkspaceBytes() < 0.6 * plain8.totalWorkspaceBytes(),
                "workspace bytes with checkpointing " + checkpointed8.totalWorkspaceBytes() + ", without " + plain8.totalWorkspaceBytes());
    }
}
