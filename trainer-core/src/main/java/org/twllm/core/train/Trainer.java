package org.twllm.core.train;

import java.util.List;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.twllm.core.config.CheckpointConfig;
import org.twllm.core.config.TrainingConfig;
import org.twllm.core.engine.Engine;
import org.twllm.core.engine.GradientSink;
import org.twllm.data.loader.Sample;
import org.twllm.errors.TwllmException;

/**
 * The training loop. One optimizer step:
 * <ol>
 *   <li>this rank's micro-batches of the global batch; the trained tokens of the WHOLE global batch are
 *       summed across ranks before any backward, so every micro-batch's loss is scaled by
 *       {@code 1 / globalTrainedTokens} and the accumulated gradient is that of the global mean loss, however
 *       the batch is split over micro-batches and ranks;</li>
 *   <li>the engine's gradient partition zeroed, then forward/backward of each micro-batch; the engine hands its
 *       finished gradient buckets to data parallelism's sink, which sums them over the ranks into each rank's
 *       partition (every micro-batch with partitioned gradients, after the last one with zero_stage 1);</li>
 *   <li>global gradient norm (before clipping), NaN/Inf check under the configured policy; the loss and
 *       the squared norm of the partitions are summed across ranks in one exchange, as the token and sample
 *       counts are before backward, so a step makes two scalar round trips;</li>
 *   <li>the engine's AdamW on this rank's partition with the clip factor folded in, then the all-gather of the
 *       updated weights.</li>
 * </ol>
 * The loop draws no random numbers and every sum has a fixed order, so a run with a fixed seed repeats bit
 * for bit on the same machine and world size, and a resumed run continues exactly where the saved one stood.
 */
public final class Trainer {
    private static final Logger LOG = LoggerFactory.getLogger(Trainer.class);

    private final TrainingConfig training;
    private final CheckpointConfig checkpointing;
    private final Engine engine;
    private final DataParallel dp;
    private final GradientSink gradients;
    private final StepBatches batches;
    private final LrSchedule schedule;
    private final ValidationLoss validation;
    private final CheckpointSaver saver;
    private final StepLog stepLog;
    private final Consumer<String> console;
    private final double flopsPerToken;
    private final double peakFlops;
    private final TrainingProgress progress;
    /** Scalars summed across ranks each step: {trained tokens, samples} and {loss, squared gradient norm}. */
    private final double[] batchCounts = new double[2];
    private final double[] stepSums = new double[2];

    /**
     * @param validation    held-out loss every {@code eval_steps}, or null
     * @param stepLog       where step metrics go (rank 0), or null on other ranks
     * @param console       progress lines (rank 0 with console logging), or null
     * @param flopsPerToken training FLOPs per trained token, for MFU
     * @param peakFlops     one device's peak FLOP/s, for MFU
     * @param progress      the counters to continue from (fresh or restored from a checkpoint)
     */
    public Trainer(TrainingConfig training, CheckpointConfig checkpointing, Engine engine, DataParallel dp,
                   StepBatches batches, ValidationLoss validation, CheckpointSaver saver, StepLog stepLog,
                   Consumer<String> console, double flopsPerToken, double peakFlops, TrainingProgress progress) {
        this.training = training;
        this.checkpointing = checkpointing;
        this.engine = engine;
        this.dp = dp;
        this.gradients = dp.gradientSink(engine.gradientPartition());
        this.batches = batches;
        this.schedule = new LrSchedule(training.lrSchedulerType(), training.learningRate(), training.minLr(),
                training.effectiveWarmupSteps(), training.maxSteps());
        this.validation = validation;
        this.saver = saver;
        this.stepLog = stepLog;
        this.console = console;
        this.flopsPerToken = flopsPerToken;
        this.peakFlops = peakFlops;
        this.progress = progress;
    }

    /** Trains until {@code max_steps}, checkpointing every {@code save_steps} and after the last step. */
    public TrainingProgress run() {
        long maxSteps = training.maxSteps();
        long firstStep = progress.step() + 1;
        long loopStart = System.nanoTime();
        EtaNotice eta = new EtaNotice(maxSteps);
        while (progress.step() < maxSteps) {
            StepMetrics m = step();
            long now = System.nanoTime();
            long done = m.step() - firstStep + 1;
            double perStep = (now - loopStart) / 1e9 / done;
            if (stepLog != null) {
                stepLog.append(m);
            }
            boolean last = m.step() == maxSteps;
            if (console != null && (last || training.loggingSteps() <= 1 || m.step() % training.loggingSteps() == 0)) {
                console.accept(ProgressLine.format(m, maxSteps, perStep * (maxSteps - m.step())));
            }
            String etaLine = eta.afterStep(m.step(), now);
            if (console != null && etaLine != null) {
                console.accept(etaLine);
            }
            if (last || (checkpointing.saveSteps() > 0 && m.step() % checkpointing.saveSteps() == 0)) {
                saver.save(progress);
            }
        }
        return progress;
    }

    /** One optimizer step (the next one); returns its metrics. */
    public StepMetrics step() {
        long stepStart = System.nanoTime();
        long step = progress.step() + 1;
        List<List<Sample>> micro = batches.microBatches(step - 1);
        long localSamples = 0;
        long localTokens = 0;
        for (List<Sample> mb : micro) {
            localSamples += mb.size();
            for (Sample s : mb) {
                localTokens += s.trainedTokens();
            }
        }
        // The one exchange before backward: the loss scale needs the global token count.
        batchCounts[0] = localTokens;
        batchCounts[1] = localSamples;
        dp.allReduceSum(batchCounts);
        double globalTokens = batchCounts[0];
        double globalSamples = batchCounts[1];

        engine.zeroGradients();
        double lossScale = globalTokens > 0 ? 1.0 / globalTokens : 0.0;
        double localLoss = 0;
        for (List<Sample> mb : micro) {
            localLoss += engine.forwardBackward(SampleBatches.of(mb), lossScale, gradients);
        }
        engine.flushGradients(gradients);
        gradients.awaitAll();
        // The one exchange after backward: the loss and each rank's share of the squared gradient norm.
        stepSums[0] = localLoss;
        stepSums[1] = engine.gradientSumOfSquares();
        dp.allReduceSum(stepSums);
        double loss = stepSums[0] / globalTokens;
        double gradNorm = Math.sqrt(stepSums[1]);
        double lr = schedule.lr(step);

        boolean finite = Double.isFinite(loss) && Double.isFinite(gradNorm);
        if (!finite) {
            String what = globalTokens == 0 ? "the global batch has no trained tokens (every target is masked)"
                    : "the loss is " + loss + " and the gradient norm " + gradNorm;
            if (training.nanPolicy() == TrainingConfig.NanPolicy.STOP) {
                throw new TwllmException("step " + step + ": " + what + "; the run stops before updating the weights"
                        + " (lower learning_rate, set max_grad_norm, or set training.nan_policy: skip)");
            }
            LOG.warn("step {}: {}; skipping the update (nan_policy: skip)", step, what);
        } else {
            engine.optimizerStep(lr, GradientClipping.clipFactor(gradNorm, training.maxGradNorm()));
            engine.gatherWeights(dp::allGather);
        }
        double seconds = (System.nanoTime() - stepStart) / 1e9;
        progress.finishStep((long) globalSamples, (long) globalTokens, !finite, seconds);

        double valLoss = Double.NaN;
        if (validation != null && training.evalSteps() > 0
                && (step % training.evalSteps() == 0 || step == training.maxSteps())) {
            valLoss = validation.measure(engine, dp);
        }
        double tokensPerS = globalTokens / seconds;
        double mfu = flopsPerToken * tokensPerS / (peakFlops * dp.worldSize());
        return new StepMetrics(step, loss, lr, gradNorm, progress.tokens(), tokensPerS, mfu, progress.elapsedS(),
                progress.skippedSteps(), valLoss);
    }

    public TrainingProgress progress() {
        return progress;
    }
}
