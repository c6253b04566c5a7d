package org.twllm.core.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.twllm.core.engine.AdamWSettings;
import org.twllm.core.engine.Bf16;
import org.twllm.core.engine.Engine;
import org.twllm.core.engine.EngineSettings;
import org.twllm.core.engine.GradientBucket;
import org.twllm.core.engine.GradientSink;
import org.twllm.core.engine.HostBuffer;
import org.twllm.core.engine.LlamaConfig;
import org.twllm.core.engine.OwnedTensor;
import org.twllm.core.engine.Precision;
import org.twllm.core.engine.RandomWeights;
import org.twllm.core.engine.TokenBatch;

/**
 * The CPU engine's bf16 mode: bf16 compute weights next to exact fp32 masters, forward/backward within bf16
 * tolerance of fp32, activation checkpointing unchanged, and two ranks (the bf16 all-gather in process) training
 * like one.
 */
class Bf16EngineTest {
    private static final LlamaConfig CONFIG = new LlamaConfig(32, 48, 2, 4, 2, 50, 64, 1e-5, 500.0, false);
    private static final AdamWSettings ADAMW = new AdamWSettings(0.9, 0.95, 1e-8, 0.1);

    private static Engine engine(Precision precision, long ownedStart, long ownedEnd, boolean checkpointing) {
        Engine e = new CpuEngine(CONFIG, new EngineSettings(precision, ownedStart, ownedEnd, false, 1 << 10, ADAMW,
                checkpointing, 2, 20));
        RandomWeights.fill(e.layout(), 7, 0.2, e::writeWeights);
        return e;
    }

    private static Engine engine(Precision precision) {
        return engine(precision, 0, CONFIG.numParameters(), false);
    }

    /** The packed GQA batch of GradientCheckpointingTest: examples of 9 and 11 tokens with ignored prompts, and one of 20. */
    private static TokenBatch batch() {
        return GradientCheckpointingTest.packedBatch();
    }

    private static float[] master(Engine e) {
        float[] out = new float[Math.toIntExact(e.settings().ownedLength())];
        e.readOwned(OwnedTensor.MASTER, 0, out, out.length);
        return out;
    }

    @Test
    void computeWeightsAreTheRoundedMasterBeforeAndAfterAnUpdate() {
        try (Engine bf16 = engine(Precision.BF16); Engine fp32 = engine(Precision.FP32)) {
            float[] exact = TestEngines.weights(fp32);
            assertArrayEquals(exact, master(bf16), "the master keeps the init exactly");
            float[] compute = TestEngines.weights(bf16);
            int inexact = 0;
            for (int i = 0; i < exact.length; i++) {
                assertEquals(Bf16.round(exact[i]), compute[i], "compute weight " + i);
                inexact += exact[i] != compute[i] ? 1 : 0;
            }
            assertTrue(inexact > exact.length / 2, "random weights are mostly not bf16 values");

            TokenBatch b = batch();
            TestEngines.gradients(bf16, b, 1.0 / b.trainedTokens());
            bf16.optimizerStep(1e-2, 1.0);
            bf16.gatherWeights(w -> { });
            float[] updated = master(bf16);
            float[] after = TestEngines.weights(bf16);
            for (int i = 0; i < updated.length; i++) {
                assertEquals(Bf16.round(updated[i]), after[i], "compute weight " + i + " after the update");
            }
            assertNotEquals(exact[3], updated[3]);
        }
    }

    @Test
    void forwardAndBackwardTrackFp32WithinBf16Tolerance() {
        try (Engine bf16 = engine(Precision.BF16); Engine fp32 = engine(Precision.FP32)) {
            TokenBatch b = batch();
            double scale = 1.0 / b.trainedTokens();
            double loss16 = TestEngines.gradients(bf16, b, scale) * scale;
            double loss32 = TestEngines.gradients(fp32, b, scale) * scale;
            float[] g16 = TestEngines.partition(bf16);
            float[] g32 = TestEngines.partition(fp32);
            double diff = 0;
            double norm = 0;
            for (int i = 0; i < g32.length; i++) {
                diff += (g16[i] - g32[i]) * (double) (g16[i] - g32[i]);
                norm += g32[i] * (double) g32[i];
            }
            double relative = Math.sqrt(diff / norm);
            System.out.printf("bf16 vs fp32: loss %.6f vs %.6f, gradient relative L2 difference %.3g%n", loss16, loss32, relative);
            assertEquals(loss32, loss16, 1e-2 * loss32, "losses within bf16 tolerance");
            assertNotEquals(loss32, loss16, "the bf16 run does round");
            assertTrue(relative < 3e-2, "gradients differ by " + relative + " relative (L2)");
            float[] lp16 = bf16.targetLogProbs(b);
            float[] lp32 = fp32.targetLogProbs(b);
            for (int i = 0; i < lp32.length; i++) {
                if (!Float.isNaN(lp32[i])) {
                    assertEquals(lp32[i], lp16[i], 5e-2, "log-prob " + i);
                }
            }
        }
    }

    @Test
    void checkpointedBf16GradientsAreBitIdentical() {
        try (Engine plain = engine(Precision.BF16); Engine checkpointed = engine(Precision.BF16, 0, CONFIG.numParameters(), true)) {
            TokenBatch b = batch();
            double scale = 1.0 / b.trainedTokens();
            assertEquals(TestEngines.gradients(plain, b, scale), TestEngines.gradients(checkpointed, b, scale));
            assertArrayEquals(TestEngines.partition(plain), TestEngines.partition(checkpointed));
        }
    }

    /**
     * Two engines owning halves of the layout, each on half of every global batch, their gradients summed into each
     * other's partitions and their updated bf16 ranges exchanged through the engines' own all-gather buffers, against
     * one engine on the whole batch: the same weights after three steps up to reduction noise (the two halves' sums
     * are added in another order, so a master weight may differ by float rounding and its bf16 copy by one ulp).
     */
    @Test
    void twoRanksTrainLikeOneInBf16() {
        long total = CONFIG.numParameters();
        long half = total / 32 * 16;
        try (Engine one = engine(Precision.BF16);
             Engine r0 = engine(Precision.BF16, 0, half, false);
             Engine r1 = engine(Precision.BF16, half, total, false)) {
            Engine[] ranks = {r0, r1};
            for (int step = 0; step < 3; step++) {
                TokenBatch b = batch();
                double scale = 1.0 / b.trainedTokens();
                TestEngines.gradients(one, b, scale);
                one.optimizerStep(1e-2, 1.0);
                one.gatherWeights(w -> { });

                float[][] full = new float[2][];
                for (int r = 0; r < 2; r++) {
                    TokenBatch share = row(b, r);
                    full[r] = localGradients(ranks[r], share, scale, total);
                }
                for (int r = 0; r < 2; r++) {
                    HostBuffer p = ranks[r].gradientPartition();
                    long s = ranks[r].settings().ownedStart();
                    for (int i = 0; i < p.elements(); i++) {
                        p.floats(i, 1).put(0, full[0][(int) (s + i)] + full[1][(int) (s + i)]);
                    }
                    ranks[r].optimizerStep(1e-2, 1.0);
                }
                // the all-gather in process: inside rank 0's, rank 1's, which swaps the owned bf16 ranges of the two
                r0.gatherWeights(w0 -> r1.gatherWeights(w1 -> {
                    assertEquals(HostBuffer.Element.BF16, w0.element(), "the all-gather moves bf16");
                    assertEquals(2 * total, w0.bytes(), "half the bytes of fp32");
                    copyRange(w0, w1, 0, half);
                    copyRange(w1, w0, half, total);
                }));
            }
            float[] expected = TestEngines.weights(one);
            for (Engine r : ranks) {
                float[] got = TestEngines.weights(r);
                int differing = 0;
                for (int i = 0; i < expected.length; i++) {
                    if (expected[i] != got[i]) {
                        differing++;
                        assertEquals(expected[i], got[i], Math.abs(expected[i]) / 64 + 1e-30, "weight " + i + " beyond one bf16 ulp");
                    }
                }
                System.out.printf("bf16, 2 ranks vs 1 after 3 steps: %d of %d compute weights differ (by at most one bf16 ulp)%n",
                        differing, expected.length);
                assertTrue(differing < expected.length / 100, differing + " weights differ");
            }
        }
    }

    private static void copyRange(HostBuffer from, HostBuffer to, long start, long end) {
        to.shorts(start, (int) (end - start)).put(from.shorts(start, (int) (end - start)));
    }

    /** Row {@code r} of {@code b} as a batch of one. */
    private static TokenBatch row(TokenBatch b, int r) {
        int t = b.seqLen();
        return new TokenBatch(1, t, slice(b.inputs(), r, t), slice(b.targets(), r, t), slice(b.positions(), r, t),
                slice(b.exampleIds(), r, t));
    }

    private static int[] slice(int[] a, int r, int t) {
        return java.util.Arrays.copyOfRange(a, r * t, (r + 1) * t);
    }

    /** The full-layout gradient a rank's backward produces (zero_stage 1's local buffer), before any reduction. */
    private static float[] localGradients(Engine engine, TokenBatch batch, double scale, long total) {
        float[] out = new float[Math.toIntExact(total)];
        engine.zeroGradients();
        engine.forwardBackward(batch, scale, null);
        engine.flushGradients(new GradientSink() {
            @Override
            public void bucketReady(GradientBucket bucket) {
                int n = (int) (bucket.end() - bucket.start());
                bucket.buffer().floats(0, n).get(out, (int) bucket.start(), n);
                bucket.release();
            }

            @Override
            public void awaitAll() {
            }
        });
        return out;
    }

    @Test
    void roundingAViewRoundsExactlyItsElements() {
        INDArray a = Nd4j.rand(DataType.FLOAT, 6, 5).muli(3);
        float[] before = a.dup().data().asFloat();
        INDArray rows = a.get(NDArrayIndex.interval(2, 4), NDArrayIndex.all());
        ActivationRounding.BF16.apply(rows);
        float[] after = a.data().asFloat();
        for (int i = 0; i < before.length; i++) {
            float want = i >= 10 && i < 20 ? Bf16.round(before[i]) : before[i];
            assertEquals(want, after[i], "element " + i);
        }
        assertTrue(ActivationRounding.NONE.apply(a) == a);
    }
}
