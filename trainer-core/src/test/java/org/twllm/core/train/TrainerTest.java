package org.twllm.core.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.twllm.core.config.CheckpointConfig;
import org.twllm.core.config.TrainingConfig;
import org.twllm.core.model.LlamaConfig;
import org.twllm.core.model.LlamaModel;
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

    static Trainer trainer(LlamaModel model, TrainingConfig cfg, StepBatches batches) {
        AdamW adam = new AdamW(new AdamW.Settings(cfg.adamBeta1(), cfg.adamBeta2(), cfg.adamEpsilon(), cfg.weightDecay()),
                0, model.parameters().numParameters(), DecayMask.all(model.parameters().numParameters()));
        return new Trainer(cfg, NO_SAVES, model, adam, new SingleRank(model.parameters().numParameters()), batches,
                null, progress -> { }, null, null, TINY.flopsPerToken(SEQ), 1e9, new TrainingProgress());
    }

    @Test
    void accumulatingMicroBatchesWithUnequalTrainedTokensEqualsOneBigBatch() {
        List<Sample> all = List.of(sample(1, 8), sample(2, 1), sample(3, 5), sample(4, 3));
        LlamaModel big = LlamaModel.random(TINY, DataType.FLOAT, 7, 0.2);
        LlamaModel split = LlamaModel.random(TINY, DataType.FLOAT, 7, 0.2);
        StepMetrics one = trainer(big, training(1, 0.0, TrainingConfig.NanPolicy.STOP), i -> List.of(all)).step();
        List<List<Sample>> four = new ArrayList<>();
        for (Sample s : all) {
            four.add(List.of(s));
        }
        StepMetrics accumulated = trainer(split, training(1, 0.0, TrainingConfig.NanPolicy.STOP), i -> four).step();

        assertEquals(one.loss(), accumulated.loss(), 1e-6 * Math.abs(one.loss()));
        assertEquals(one.gradNorm(), accumulated.gradNorm(), 1e-5 * one.gradNorm());
        assertEquals(17, one.tokens());
        float[] g1 = big.parameters().grads().toFloatVector();
        float[] g2 = split.parameters().grads().toFloatVector();
        double maxAbs = 0;
        for (float v : g1) {
            maxAbs = Math.max(maxAbs, Math.abs(v));
        }
        for (int i = 0; i < g1.length; i++) {
            assertEquals(g1[i], g2[i], 1e-5 * maxAbs, "gradient element " + i);
        }
        // The per-token mean: a plain mean of the per-sample means would weigh sample 2's one token 8x more.
        double perTokenMean = 0;
        LlamaModel fresh = LlamaModel.random(TINY, DataType.FLOAT, 7, 0.2);
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
            Trainer t = trainer(LlamaModel.random(TINY, DataType.FLOAT, 11, 0.02), training(steps, 1.0, TrainingConfig.NanPolicy.STOP),
                    i -> batch);
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
        LlamaModel model = LlamaModel.random(TINY, DataType.FLOAT, 5, 0.5);
        long n = model.parameters().numParameters();
        double maxNorm = 1e-3;
        AdamW adam = new AdamW(new AdamW.Settings(0.9, 0.95, 1e-8, 0.0), 0, n, DecayMask.none());
        Trainer t = new Trainer(training(1, maxNorm, TrainingConfig.NanPolicy.STOP), NO_SAVES, model, adam, new SingleRank(n),
                i -> List.of(List.of(sample(1, 8))), null, progress -> { }, null, null, 1.0, 1.0, new TrainingProgress());
        StepMetrics m = t.step();
        float[] g = model.parameters().grads().toFloatVector();
        double sumSq = 0;
        for (float v : g) {
            sumSq += (double) v * v;
        }
        assertEquals(Math.sqrt(sumSq), m.gradNorm(), 1e-6 * m.gradNorm(), "grad_norm is the norm before clipping");
        double factor = maxNorm / (m.gradNorm() + 1e-6);
        assertTrue(factor < 0.1, "the test needs a norm well above max_grad_norm");
        float[] expAvg = adam.expAvg().toFloatVector();
        for (int i = 0; i < g.length; i += 97) {
            assertEquals(0.1 * g[i] * factor, expAvg[i], 1e-6 * Math.abs(0.1 * g[i] * factor) + 1e-12, "element " + i);
        }
    }

    @Test
    void aNonFiniteLossStopsWithTheStepOrIsSkippedAndCounted() {
        LlamaModel model = LlamaModel.random(TINY, DataType.FLOAT, 5, 0.02);
        model.parameters().param("model.norm.weight").putScalar(0, Float.NaN);
        StepBatches batches = i -> List.of(List.of(sample(1, 8)));
        TwllmException stop = assertThrows(TwllmException.class,
                () -> trainer(model, training(3, 1.0, TrainingConfig.NanPolicy.STOP), batches).step());
        assertTrue(stop.getMessage().startsWith("step 1: "), stop.getMessage());

        INDArray before = model.parameters().params().dup();
        Trainer skipping = trainer(model, training(3, 1.0, TrainingConfig.NanPolicy.SKIP), batches);
        skipping.step();
        StepMetrics second = skipping.step();
        assertEquals(2, second.skippedSteps());
        assertEquals(2, second.step());
        assertTrue(before.equalsWithEps(model.parameters().params(), 0.0) || hasSameNaNs(before, model.parameters().params()));
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
            return 0;
        }

        @Override
        public int worldSize() {
            return 1;
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
        public org.twllm.core.model.GradientReadyListener beginGradientSync(INDArray flatGradients) {
            calls.add("begin");
            return rank.beginGradientSync(flatGradients);
        }

        @Override
        public void finishGradientSync(INDArray flatGradients) {
            calls.add("finish");
        }

        @Override
        public void allGatherParameters(INDArray flatParameters) {
            calls.add("gather");
        }

        @Override
        public void close() {
        }
    }

    @Test
    void aStepExchangesItsScalarsInTwoBatchedAllReduces() {
        LlamaModel model = LlamaModel.random(TINY, DataType.FLOAT, 5, 0.02);
        long n = model.parameters().numParameters();
        RecordingDataParallel dp = new RecordingDataParallel(n);
        AdamW adam = new AdamW(new AdamW.Settings(0.9, 0.95, 1e-8, 0.0), 0, n, DecayMask.none());
        Trainer t = new Trainer(training(1, 1.0, TrainingConfig.NanPolicy.STOP), NO_SAVES, model, adam, dp,
                i -> List.of(List.of(sample(1, 8), sample(2, 3)), List.of(sample(3, 5))), null, progress -> { }, null, null,
                1.0, 1.0, new TrainingProgress());
        t.step();
        // Tokens and samples before any backward (the loss scale needs them); loss and squared norm after.
        assertEquals(List.of("sum of 2", "begin", "finish", "sum of 2", "gather"), dp.calls);
        assertEquals(List.of(16.0, 3.0), List.of(dp.sums.get(0)[0], dp.sums.get(0)[1]));
    }

    private static boolean hasSameNaNs(INDArray a, INDArray b) {
        float[] x = a.toFloatVector();
        float[] y = b.toFloatVector();
        for (int i = 0; i < x.length; i++) {
            if (Float.floatToIntBits(x[i]) != Float.floatToIntBits(y[i])) {
                return false;
            }
        }
        return true;
    }
}
