package org.twllm.core.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.twllm.core.engine.AdamWSettings;
import org.twllm.core.engine.Bf16;
import org.twllm.core.engine.Engine;
import org.twllm.core.engine.EngineSettings;
import org.twllm.core.engine.Engines;
import org.twllm.core.engine.GradientBucket;
import org.twllm.core.engine.GradientSink;
import org.twllm.core.engine.HostBuffer;
import org.twllm.core.engine.LlamaConfig;
import org.twllm.core.engine.OwnedTensor;
import org.twllm.core.engine.Precision;
import org.twllm.core.engine.RandomWeights;
import org.twllm.core.engine.TokenBatch;
import org.twllm.errors.TwllmException;

/**
 * The CUDA engine's whole training step (forward, backward with the bucket hand-off, the gradient partition,
 * its norm, AdamW on the owned partition, the all-gather) run on the host emulation of the device, against the
 * CPU engine on the same tiny GQA model, weights and two unequal micro-batches per step: losses, gradient
 * partitions, norms, updated weights and AdamW moments agree in fp32, for partitioned gradients (buckets that cut
 * through rows), zero_stage 1, a rank owning a third of the layout, and tied embeddings; in bf16 the fp32 master
 * is exact and the compute weights are its rounding. The copy stream's events and pinned memory are real-GPU
 * only; their ordering logic is BucketPipelineTest's.
 */
class CudaEngineEmulationTest {
    private static final LlamaConfig UNTIED = new LlamaConfig(16, 24, 2, 4, 2, 29, 32, 1e-5, 10000.0, false);
    private static final LlamaConfig TIED = new LlamaConfig(16, 24, 2, 4, 2, 29, 32, 1e-5, 10000.0, true);
    private static final AdamWSettings ADAMW = new AdamWSettings(0.9, 0.95, 1e-8, 0.1);
    private static final double LR = 1e-2;
    private static final int STEPS = 2;
    /** An odd bucket size: bucket edges fall inside rows and tensors. */
    private static final long BUCKET = 37;

    /** What one run of STEPS optimizer steps saw. */
    private record Run(List<Double> losses, List<Double> sumsOfSquares, List<float[]> partitions, List<float[]> weights,
            float[] expAvg, float[] expAvgSq) {
    }

    private static List<TokenBatch> microBatches(LlamaConfig config) {
        TokenBatch packed = DeviceModelEmulationTest.packedBatch();
        Random rng = new Random(9);
        int t = 7;
        int[][] inputs = new int[1][t];
        int[][] targets = new int[1][t];
        for (int i = 0; i < t; i++) {
            inputs[0][i] = rng.nextInt(config.vocabSize());
            targets[0][i] = rng.nextInt(config.vocabSize());
        }
        return List.of(packed, TokenBatch.causal(inputs, targets));
    }

    private static EngineSettings settings(Precision precision, long start, long end, boolean partitioned) {
        return new EngineSettings(precision, start, end, partitioned, BUCKET, ADAMW, false, 2, 9);
    }

    private static Engine cuda(LlamaConfig config, EngineSettings settings) {
        EmulatedGpu gpu = new EmulatedGpu(32);
        return new CudaEngine(gpu, (slots, elements) -> new DownloadingBucketCopies(gpu, slots, elements), config, settings, 4, 3L * 29);
    }

    /** Adds the owned part of each bucket into the partition, as data parallelism does after its reduce-scatter. */
    private static GradientSink ownedPartSink(Engine engine) {
        HostBuffer partition = engine.gradientPartition();
        long ownedStart = engine.settings().ownedStart();
        long ownedEnd = engine.settings().ownedEnd();
        return new GradientSink() {
            @Override
            public void bucketReady(GradientBucket bucket) {
                long from = Math.max(bucket.start(), ownedStart);
                long to = Math.min(bucket.end(), ownedEnd);
                if (from < to) {
                    partition.add(from - ownedStart, bucket.buffer(), from - bucket.start(), to - from);
                }
                bucket.release();
            }

            @Override
            public void awaitAll() {
            }
        };
    }

    private static float[] floats(HostBuffer b) {
        float[] out = new float[(int) b.elements()];
        b.floats(0, out.length).get(out);
        return out;
    }

    private static float[] weights(Engine engine) {
        float[] w = new float[(int) engine.layout().total()];
        engine.readWeights(0, w, w.length);
        return w;
    }

    private static float[] owned(Engine engine, OwnedTensor tensor) {
        float[] v = new float[(int) engine.settings().ownedLength()];
        engine.readOwned(tensor, 0, v, v.length);
        return v;
    }

    /**
     * STEPS steps of {@code engine} from the seed-3 random weights. {@code reference} (null for the reference run
     * itself) gives the clip factors of the global norm and, for a rank owning part of the layout, the other
     * ranks' updated weights that its all-gather brings.
     */
    private static Run train(Engine engine, LlamaConfig config, Run reference) {
        RandomWeights.fill(engine.layout(), 3, 0.2, engine::writeWeights);
        List<TokenBatch> batches = microBatches(config);
        int trained = batches.stream().mapToInt(TokenBatch::trainedTokens).sum();
        GradientSink sink = ownedPartSink(engine);
        List<Double> losses = new ArrayList<>();
        List<Double> sums = new ArrayList<>();
        List<float[]> partitions = new ArrayList<>();
        List<float[]> weights = new ArrayList<>();
        for (int step = 0; step < STEPS; step++) {
            engine.zeroGradients();
            double loss = 0;
            for (TokenBatch b : batches) {
                loss += engine.forwardBackward(b, 1.0 / trained, sink);
            }
            engine.flushGradients(sink);
            sink.awaitAll();
            losses.add(loss / trained);
            double sumSq = engine.gradientSumOfSquares();
            sums.add(sumSq);
            partitions.add(floats(engine.gradientPartition()));
            double norm = Math.sqrt(reference == null ? sumSq : reference.sumsOfSquares().get(step));
            engine.optimizerStep(LR, Math.min(1.0, 0.5 / (norm + 1e-6)));
            float[] othersUpdated = reference == null ? null : reference.weights().get(step);
            long start = engine.settings().ownedStart();
            long end = engine.settings().ownedEnd();
            engine.gatherWeights(all -> {
                for (long e = 0; e < all.elements(); e++) {
                    if (e < start || e >= end) {
                        all.floats(e, 1).put(0, othersUpdated[(int) e]);
                    }
                }
            });
            weights.add(weights(engine));
        }
        return new Run(losses, sums, partitions, weights, owned(engine, OwnedTensor.EXP_AVG), owned(engine, OwnedTensor.EXP_AVG_SQ));
    }

    private static Run cpuReference(LlamaConfig config) {
        long total = new org.twllm.core.engine.ParameterLayout(config).total();
        try (Engine cpu = Engines.cpu().create(config, settings(Precision.FP32, 0, total, false))) {
            return train(cpu, config, null);
        }
    }

    private static void assertClose(float[] want, float[] got, double tolerance, String what) {
        assertEquals(want.length, got.length, what);
        double scale = 0;
        double worst = 0;
        for (int i = 0; i < want.length; i++) {
            scale = Math.max(scale, Math.abs(want[i]));
            worst = Math.max(worst, Math.abs(want[i] - got[i]));
        }
        assertTrue(worst <= tolerance * Math.max(scale, 1e-30), what + ": max |difference| " + worst + " of max |value| " + scale);
    }

    private static float[] slice(float[] values, long from, long to) {
        return java.util.Arrays.copyOfRange(values, (int) from, (int) to);
    }

    private static void assertMatches(Run want, Run got, long from, long to, String what) {
        for (int step = 0; step < STEPS; step++) {
            String at = what + ", step " + (step + 1);
            assertEquals(want.losses().get(step), got.losses().get(step), 1e-5 * want.losses().get(step), at + ": loss");
            assertClose(slice(want.partitions().get(step), from, to), got.partitions().get(step), 1e-5, at + ": gradient partition");
            // AdamW divides by the gradient's own size: a 1e-6 gradient difference moves a weight up to ~1e-5 of lr
            assertClose(want.weights().get(step), got.weights().get(step), 1e-4, at + ": updated weights");
        }
        assertClose(slice(want.expAvg(), from, to), got.expAvg(), 1e-5, what + ": first moments");
        assertClose(slice(want.expAvgSq(), from, to), got.expAvgSq(), 1e-4, what + ": second moments");
    }

    @Test
    void partitionedGradientsAndZeroStageOneEqualTheCpuEngine() {
        Run cpu = cpuReference(UNTIED);
        long total = new org.twllm.core.engine.ParameterLayout(UNTIED).total();
        for (boolean partitioned : new boolean[] {true, false}) {
            try (Engine engine = cuda(UNTIED, settings(Precision.FP32, 0, total, partitioned))) {
                Run run = train(engine, UNTIED, cpu);
                String what = partitioned ? "zero_stage 2" : "zero_stage 1";
                assertMatches(cpu, run, 0, total, what);
                for (int step = 0; step < STEPS; step++) {
                    assertEquals(cpu.sumsOfSquares().get(step), run.sumsOfSquares().get(step), 1e-5 * cpu.sumsOfSquares().get(step),
                            what + ": squared gradient norm");
                }
                assertEquals(STEPS, engine.optimizerUpdates());
                assertEquals(EngineSettings.BUCKET_BUFFERS, ((CudaEngine) engine).freeBucketSlots(), "every bucket was released");
            }
        }
    }

    @Test
    void aRankOwningAThirdUpdatesItsPartitionAndGathersTheRest() {
        Run cpu = cpuReference(UNTIED);
        long total = new org.twllm.core.engine.ParameterLayout(UNTIED).total();
        long start = total / 3 + 5;
        long end = 2 * total / 3;
        try (Engine engine = cuda(UNTIED, settings(Precision.FP32, start, end, true))) {
            Run run = train(engine, UNTIED, cpu);
            assertMatches(cpu, run, start, end, "owned [" + start + ", " + end + ")");
        }
    }

    @Test
    void tiedEmbeddingsKeepTheirBucketOpenUntilTheEmbeddingBackward() {
        Run cpu = cpuReference(TIED);
        long total = new org.twllm.core.engine.ParameterLayout(TIED).total();
        try (Engine engine = cuda(TIED, settings(Precision.FP32, 0, total, true))) {
            assertMatches(cpu, train(engine, TIED, cpu), 0, total, "tied embeddings");
        }
    }

    @Test
    void forwardOnlyLossAndLogProbsEqualTheCpuEngine() {
        TokenBatch batch = DeviceModelEmulationTest.packedBatch();
        try (Engine cpu = Engines.cpu().create(UNTIED, EngineSettings.inference(2, 9));
             Engine engine = cuda(UNTIED, EngineSettings.inference(2, 9))) {
            RandomWeights.fill(cpu.layout(), 4, 0.2, cpu::writeWeights);
            RandomWeights.fill(engine.layout(), 4, 0.2, engine::writeWeights);
            assertArrayEquals(weights(cpu), weights(engine), "fp32 weights are stored exactly");
            double want = cpu.loss(batch);
            assertEquals(want, engine.loss(batch), 1e-5 * want);
            float[] wantLp = cpu.targetLogProbs(batch);
            float[] gotLp = engine.targetLogProbs(batch);
            for (int i = 0; i < wantLp.length; i++) {
                assertEquals(wantLp[i], gotLp[i], Float.isNaN(wantLp[i]) ? 0 : 1e-5, "position " + i);
            }
            assertThrows(IllegalStateException.class, engine::zeroGradients, "a forward-only engine has no gradients");
            TwllmException decode = assertThrows(TwllmException.class, engine::decoder);
            assertTrue(decode.getMessage().contains("CPU engine"), decode.getMessage());
        }
    }

    @Test
    void bf16KeepsAnExactFp32MasterAndComputesWithItsRounding() {
        LlamaConfig config = UNTIED;
        long total = new org.twllm.core.engine.ParameterLayout(config).total();
        Run cpu = cpuReference(config);
        try (Engine engine = cuda(config, settings(Precision.BF16, 0, total, true))) {
            float[] init = new float[(int) total];
            RandomWeights.fill(engine.layout(), 3, 0.2, (offset, src, count) -> System.arraycopy(src, 0, init, (int) offset, count));
            Run run = train(engine, config, cpu);
            // the first loss is computed before any update, on bf16-rounded weights
            assertEquals(cpu.losses().get(0), run.losses().get(0), 2e-2 * cpu.losses().get(0), "bf16 loss tracks fp32");
            float[] master = owned(engine, OwnedTensor.MASTER);
            float[] compute = weights(engine);
            for (int i = 0; i < total; i++) {
                assertEquals(Bf16.round(master[i]), compute[i], 0f, "compute weight " + i + " is its master rounded");
            }
            // a fresh engine: the master holds the written values exactly, the compute copy their rounding
            try (Engine fresh = cuda(config, settings(Precision.BF16, 0, total, true))) {
                RandomWeights.fill(fresh.layout(), 3, 0.2, fresh::writeWeights);
                assertArrayEquals(init, owned(fresh, OwnedTensor.MASTER));
                float[] rounded = weights(fresh);
                for (int i = 0; i < total; i++) {
                    assertEquals(Bf16.round(init[i]), rounded[i], 0f, "weight " + i);
                }
                // a resumed run's state goes in and comes out unchanged
                fresh.writeOwned(OwnedTensor.EXP_AVG, 0, run.expAvg(), run.expAvg().length);
                assertArrayEquals(run.expAvg(), owned(fresh, OwnedTensor.EXP_AVG));
                fresh.writeOwned(OwnedTensor.MASTER, 0, master, master.length);
                assertArrayEquals(compute, weights(fresh), "the master sets the compute weights");
                fresh.setOptimizerUpdates(7);
                assertEquals(7, fresh.optimizerUpdates());
            }
        }
    }
}
