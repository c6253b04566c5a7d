package org.twllm.core.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.twllm.core.config.CheckpointConfig;
import org.twllm.core.config.TrainingConfig;
import org.twllm.core.engine.AdamWSettings;
import org.twllm.core.engine.Engine;
import org.twllm.core.engine.GradientBucket;
import org.twllm.core.engine.GradientSink;
import org.twllm.core.engine.HostBuffer;
import org.twllm.core.engine.LlamaConfig;
import org.twllm.core.engine.OwnedTensor;
import org.twllm.core.engine.cpu.TestEngines;
import org.twllm.data.loader.Sample;
import org.twllm.errors.TwllmException;

class TrainerTest {
    static final LlamaConfig TINY = new LlamaConfig(16, 32, 2, 4, 2, 50, 64, 1e-5, 10000.0, false);
    static final int SEQ = 8;

    static TrainingConfig training(int maxSteps, double maxGradNorm, TrainingConfig.NanPolicy nanPolicy) {
        return TrainingConfig.builder()
                .set(TrainingConfig.MAX_STEPS, maxSteps)
                .set(TrainingConfig.LEARNING_RATE, 1e-2)
                .set(TrainingConfig.WARMUP_STEPS, Math.min(2, maxSteps))
                .set(TrainingConfig.MIN_LR, 1e-3)
                .set(TrainingConfig.MAX_GRAD_NORM, maxGradNorm)
                .set(TrainingConfig.ADAM_BETA2, 0.95)
                .set(TrainingConfig.WEIGHT_DECAY, 0.1)
                .set(TrainingConfig.NAN_POLICY, nanPolicy)
                .build();
    }

    static final CheckpointConfig NO_SAVES = CheckpointConfig.builder()
            .set(CheckpointConfig.SAVE_TOTAL_LIMIT, 0)
            .set(CheckpointConfig.RESUME, CheckpointConfig.Resume.NEVER)
            .build();

    /** A sample of seed-determined tokens; {@code trained} of its SEQ targets carry a loss (SFT-like masking). */
    static Sample sample(int seed, int trained) {
        int[] in = new int[SEQ];
        int[] tg = new int[SEQ];
        int[] pos = new int[SEQ];
        int[] ex = new int[SEQ];
        for (int t = 0; t < SEQ; t++) {
            in[t] = (seed * 7 + t * 3) % TINY.vocabSize();
            tg[t] = t >= SEQ - trained ? (seed * 7 + (t + 1) * 3) % TINY.vocabSize() : Sample.IGNORE;
            pos[t] = t;
        }
        return new Sample(in, tg, pos, ex);
    }

    /** A one-rank CPU engine of TINY with the AdamW settings of {@code cfg}, for micro-batches of up to 4 samples. */
    static Engine engine(TrainingConfig cfg, long seed, double std) {
        return TestEngines.training(TINY, new AdamWSettings(cfg.adamBeta1(), cfg.adamBeta2(), cfg.adamEpsilon(), cfg.weightDecay()),
                seed, std, 4, SEQ);
    }

    static Trainer trainer(Engine model, TrainingConfig cfg, StepBatches batches) {
        return new Trainer(cfg, NO_SAVES, model, new SingleRank(model.layout().total()), batches,
                null, progress -> { }, null, null, TINY.flopsPerToken(SEQ), 1e9, new TrainingProgress());
    }

    @Test
    void accumulatingMicroBatchesWithUnequalTrainedTokensEqualsOneBigBatch() {
        List<Sample> all = List.of(sample(1, 8), sample(2, 1), sample(3, 5), sample(4, 3));
        TrainingConfig cfg = training(1, 0.0, TrainingConfig.NanPolicy.STOP);
        Engine big = engine(cfg, 7, 0.2);
        Engine split = engine(cfg, 7, 0.2);
        StepMetrics one = trainer(big, cfg, i -> List.of(all)).step();
        List<List<Sample>> four = new ArrayList<>();
        for (Sample s : all) {
            four.add(List.of(s));
        }
        StepMetrics accumulated = trainer(split, cfg, i -> four).step();

        assertEquals(one.loss(), accumulated.loss(), 1e-6 * Math.abs(one.loss()));
        assertEquals(one.gradNorm(), accumulated.gradNorm(), 1e-5 * one.gradNorm());
        assertEquals(17, one.tokens());
        float[] g1 = TestEngines.partition(big);
        float[] g2 = TestEngines.partition(split);
        double maxAbs = 0;
        for (float v : g1) {
            maxAbs = Math.max(maxAbs, Math.abs(v));
        }
        for (int i = 0; i < g1.length; i++) {
            assertEquals(g1[i], g2[i], 1e-5 * maxAbs, "gradient element " + i);
        }
        // The per-token mean: a plain mean of the per-sample means would weigh sample 2's one token 8x more.
        double perTokenMean = 0;
        Engine fresh = engine(cfg, 7, 0.2);
        for (Sample s : all) {
            perTokenMean += fresh.loss(SampleBatches.of(List.of(s)));
        }
        assertEquals(perTokenMean / 17, one.loss(), 1e-6 * one.loss());
    }

    @Test
    void aFixedSeedRepeatsBitForBitAndTheLossFallsOnRepeatedData() {
        List<List<Sample>> batch = List.of(List.of(sample(1, 8), sample(2, 8)), List.of(sample(3, 8)));
        int steps = 10;
        double[][] losses = new double[2][steps];
        for (int run = 0; run < 2; run++) {
            TrainingConfig cfg = training(steps, 1.0, TrainingConfig.NanPolicy.STOP);
            Trainer t = trainer(engine(cfg, 11, 0.02), cfg, i -> batch);
            for (int s = 0; s < (run == 0 ? steps : 3); s++) {
                losses[run][s] = t.step().loss();
            }
        }
        for (int s = 0; s < 3; s++) {
            assertEquals(losses[0][s], losses[1][s], 0.0, "step " + (s + 1));
        }
        assertTrue(losses[0][steps - 1] < 0.8 * losses[0][0], "loss should fall: " + losses[0][0] + " -> " + losses[0][steps - 1]);
    }

    @Test
    void theOptimizerSeesGradientsScaledByTheClipFactor() {
        Engine model = TestEngines.training(TINY, new AdamWSettings(0.9, 0.95, 1e-8, 0.0), 5, 0.5, 4, SEQ);
        long n = model.layout().total();
        double maxNorm = 1e-3;
        Trainer t = new Trainer(training(1, maxNorm, TrainingConfig.NanPolicy.STOP), NO_SAVES, model, new SingleRank(n),
                i -> List.of(List.of(sample(1, 8))), null, progress -> { }, null, null, 1.0, 1.0, new TrainingProgress());
        StepMetrics m = t.step();
        float[] g = TestEngines.partition(model);
        double sumSq = 0;
        for (float v : g) {
            sumSq += (double) v * v;
        }
        assertEquals(Math.sqrt(sumSq), m.gradNorm(), 1e-6 * m.gradNorm(), "grad_norm is the norm before clipping");
        double factor = maxNorm / (m.gradNorm() + 1e-6);
        assertTrue(factor < 0.1, "the test needs a norm well above max_grad_norm");
        float[] expAvg = new float[g.length];
        model.readOwned(OwnedTensor.EXP_AVG, 0, expAvg, expAvg.length);
        for (int i = 0; i < g.length; i += 97) {
            assertEquals(0.1 * g[i] * factor, expAvg[i], 1e-6 * Math.abs(0.1 * g[i] * factor) + 1e-12, "element " + i);
        }
    }

    @Test
    void aNonFiniteLossStopsWithTheStepOrIsSkippedAndCounted() {
        Engine model = engine(training(3, 1.0, TrainingConfig.NanPolicy.STOP), 5, 0.02);
        model.writeWeights(model.layout().spec("model.norm.weight").offset(), new float[] {Float.NaN}, 1);
        StepBatches batches = i -> List.of(List.of(sample(1, 8)));
        TwllmException stop = assertThrows(TwllmException.class,
                () -> trainer(model, training(3, 1.0, TrainingConfig.NanPolicy.STOP), batches).step());
        assertTrue(stop.getMessage().startsWith("step 1: "), stop.getMessage());

        float[] before = TestEngines.weights(model);
        Trainer skipping = trainer(model, training(3, 1.0, TrainingConfig.NanPolicy.SKIP), batches);
        skipping.step();
        StepMetrics second = skipping.step();
        assertEquals(2, second.skippedSteps());
        assertEquals(2, second.step());
        assertTrue(sameBits(before, TestEngines.weights(model)), "skipped steps leave the weights alone");
    }

    /** One rank that records what the trainer asks of data parallelism. */
    private static final class RecordingDataParallel implements DataParallel {
        final List<String> calls = new ArrayList<>();
        final List<double[]> sums = new ArrayList<>();
        private final SingleRank rank;

        RecordingDataParallel(long numParameters) {
            rank = new SingleRank(numParameters);
        }

        @Override
        public int rank() {
            return rank.rank();
        }

        @Override
        public int worldSize() {
            return rank.worldSize();
        }

        @Override
        public long ownedStart() {
            return rank.ownedStart();
        }

        @Override
        public long ownedEnd() {
            return rank.ownedEnd();
        }

        @Override
        public void allReduceSum(double[] values) {
            calls.add("sum of " + values.length);
            sums.add(values.clone());
        }

        @Override
        public void barrier() {
            calls.add("barrier");
        }

        @Override
        public void barrier(long timeoutNs, String what) {
            calls.add("barrier");
        }

        @Override
        public GradientSink gradientSink(HostBuffer partition) {
            calls.add("sink");
            GradientSink ranks = rank.gradientSink(partition);
            return new GradientSink() {
                @Override
                public void bucketReady(GradientBucket bucket) {
                    calls.add("bucket " + bucket.index());
                    ranks.bucketReady(bucket);
                }

                @Override
                public void awaitAll() {
                    calls.add("await");
                    ranks.awaitAll();
                }
            };
        }

        @Override
        public void allGather(HostBuffer weights) {
            calls.add("gather");
        }

        @Override
        public void close() {
        }
    }

    @Test
    void aStepExchangesItsScalarsInTwoBatchedAllReduces() {
        Engine model = TestEngines.training(TINY, new AdamWSettings(0.9, 0.95, 1e-8, 0.0), 5, 0.02, 4, SEQ);
        long n = model.layout().total();
        RecordingDataParallel dp = new RecordingDataParallel(n);
        Trainer t = new Trainer(training(1, 1.0, TrainingConfig.NanPolicy.STOP), NO_SAVES, model, dp,
                i -> List.of(List.of(sample(1, 8), sample(2, 3)), List.of(sample(3, 5))), null, progress -> { }, null, null,
                1.0, 1.0, new TrainingProgress());
        t.step();
        // Tokens and samples before any backward (the loss scale needs them); loss and squared norm after, once every
        // gradient bucket (one here: the model is smaller than a bucket; zero_stage 1 hands it over after the last
        // micro-batch) is summed into the partition.
        assertTrue(n < 1 << 16, "one bucket");
        assertEquals(List.of("sink", "sum of 2", "bucket 0", "await", "sum of 2", "gather"), dp.calls);
        assertEquals(List.of(16.0, 3.0), List.of(dp.sums.get(0)[0], dp.sums.get(0)[1]));
    }

    private static boolean sameBits(float[] x, float[] y) {
        for (int i = 0; i < x.length; i++) {
            if (Float.floatToIntBits(x[i]) != Float.floatToIntBits(y[i])) {
                return false;
            }
        }
        return true;
    }
}
