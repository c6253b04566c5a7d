package org.twllm.core.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.twllm.core.engine.LlamaConfig;
import org.twllm.core.engine.ParameterSpec;
import org.twllm.core.engine.TokenBatch;

/** The whole model's gradient against finite differences, and packing equivalence (DESIGN.md). */
class ModelGradientTest {
    /** GQA (4 query heads, 2 kv heads), rope_theta 500, two layers. */
    static LlamaConfig tinyConfig(boolean tied) {
        return new LlamaConfig(16, 24, 2, 4, 2, 13, 16, 1e-5, 500.0, tied);
    }

    /** Non-unit norm weights so the norm scales take part in every check. */
    static LlamaModel tinyModel(boolean tied, long seed) {
        LlamaModel model = LlamaModel.random(tinyConfig(tied), DataType.DOUBLE, seed, 0.3);
        for (ParameterSpec s : model.parameters().specs()) {
            if (!s.decays()) {
                model.parameters().param(s.name()).addi(GradientCheck.random(seed + s.offset(), s.length()).muli(0.2));
            }
        }
        return model;
    }

    /** A zeroed full gradient buffer for {@code model}. */
    static FullGradients gradients(LlamaModel model) {
        return new FullGradients(model.parameters().layout(), model.parameters().dataType());
    }

    /** Row 0: two packed SFT examples with ignored prompt targets; row 1: one example. */
    static TokenBatch packedBatch() {
        int i = TokenBatch.IGNORE;
        return new TokenBatch(2, 6,
                new int[] {1, 5, 7, 1, 9, 4, 1, 3, 3, 8, 12, 0},
                new int[] {i, 7, 2, i, 4, 2, 3, 3, 8, 12, i, 2},
                new int[] {0, 1, 2, 0, 1, 2, 0, 1, 2, 3, 4, 5},
                new int[] {0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0});
    }

    @ParameterizedTest(name = "tied={0}")
    @ValueSource(booleans = {false, true})
    void wholeModelGradientMatchesFiniteDifferences(boolean tied) {
        LlamaModel model = tinyModel(tied, 7);
        TokenBatch batch = packedBatch();
        double scale = 1.0 / batch.trainedTokens();
        FullGradients grads = gradients(model);
        model.forwardBackward(batch, scale, grads);
        ParameterStore store = model.parameters();
        // Bound: max|analytic - numeric| / max|numeric| < 1e-6 over one random entry of every tensor (fp64);
        // LayerGradientTest checks each layer in detail; this checks how the layers are wired together.
        for (ParameterSpec s : store.specs()) {
            double err = GradientCheck.relativeError(store.param(s.name()), TestParameters.grad(grads, s),
                    () -> scale * model.loss(batch), 1, s.offset());
            assertTrue(err < 1e-6, s.name() + ": relative error " + err);
        }
    }

    @Test
    void gradientsAccumulateAndTheWriterSeesEveryRangeOnceFromTheEnd() {
        LlamaModel model = tinyModel(false, 3);
        TokenBatch batch = packedBatch();
        List<long[]> ranges = new ArrayList<>();
        FullGradients grads = gradients(model);
        GradientWriter recording = new GradientWriter() {
            @Override
            public void matrix(ParameterSpec s, RowBlocks rows) {
                ranges.add(new long[] {s.offset(), s.length()});
                grads.matrix(s, rows);
            }

            @Override
            public void values(long offset, INDArray values) {
                ranges.add(new long[] {offset, values.length()});
                grads.values(offset, values);
            }
        };
        double loss = model.forwardBackward(batch, 1.0, recording);
        INDArray once = grads.flat().dup();
        model.forwardBackward(batch, 1.0, grads);
        assertTrue(grads.flat().equalsWithEps(once.mul(2), 1e-12), "a second call adds");
        assertEquals(loss, model.loss(batch), 1e-12);

        long covered = 0;
        long previousStart = Long.MAX_VALUE;
        for (long[] r : ranges) {
            assertTrue(r[0] < previousStart, "ranges arrive from the end of the buffer towards its start");
            previousStart = r[0];
            covered += r[1];
        }
        assertEquals(model.parameters().numParameters(), covered);
        assertEquals(0L, ranges.get(ranges.size() - 1)[0], "the embedding comes last");
    }

    @Test
    void packedBatchEqualsExamplesRunOneByOne() {
        LlamaModel packed = tinyModel(false, 11);
        LlamaModel single = tinyModel(false, 11);
        TokenBatch batch = packedBatch();
        FullGradients packedGrads = gradients(packed);
        FullGradients singleGrads = gradients(single);
        double packedLoss = packed.forwardBackward(batch, 1.0, packedGrads);
        float[] packedLogProbs = packed.targetLogProbs(batch);

        int i = TokenBatch.IGNORE;
        TokenBatch[] alone = {
            new TokenBatch(1, 3, new int[] {1, 5, 7}, new int[] {i, 7, 2}, new int[] {0, 1, 2}, new int[3]),
            new TokenBatch(1, 3, new int[] {1, 9, 4}, new int[] {i, 4, 2}, new int[] {0, 1, 2}, new int[3]),
            new TokenBatch(1, 6, new int[] {1, 3, 3, 8, 12, 0}, new int[] {3, 3, 8, 12, i, 2}, new int[] {0, 1, 2, 3, 4, 5}, new int[6]),
        };
        double singleLoss = 0;
        List<Float> singleLogProbs = new ArrayList<>();
        for (TokenBatch b : alone) {
            singleLoss += single.forwardBackward(b, 1.0, singleGrads);
            for (float v : single.targetLogProbs(b)) {
                singleLogProbs.add(v);
            }
        }
        assertEquals(singleLoss, packedLoss, 1e-10);
        for (int k = 0; k < packedLogProbs.length; k++) {
            assertEquals(singleLogProbs.get(k), packedLogProbs[k], 1e-6, "position " + k);
        }
        INDArray diff = packedGrads.flat().sub(singleGrads.flat());
        assertTrue(diff.norm2Number().doubleValue() < 1e-10 * singleGrads.flat().norm2Number().doubleValue() + 1e-12);
    }
}
