package org.twllm.core.train;

import org.twllm.core.config.TrainingConfig.LrScheduler;
import org.twllm.errors.ConfigException;

/**
 * Learning rate as a pure function of the optimizer step (1-based: step 1 is the first update).
 *
 * <p>Warmup rises linearly from {@code peak / warmupSteps} at step 1 to {@code peak} at step
 * {@code warmupSteps} (so no step is wasted at lr 0). After warmup the rate decays from {@code peak}
 * towards {@code minLr}, reaching it exactly at {@code totalSteps}: linearly, along half a cosine, or
 * not at all (constant). Steps past {@code totalSteps} (a resumed run with more steps) stay at {@code minLr}
 * for the decaying schedules.
 */
public final class LrSchedule {
    private final LrScheduler type;
    private final double peakLr;
    private final double minLr;
    private final long warmupSteps;
    private final long totalSteps;

    public LrSchedule(LrScheduler type, double peakLr, double minLr, long warmupSteps, long totalSteps) {
        if (peakLr < 0 || minLr < 0 || minLr > peakLr) {
            throw new ConfigException("learning rates must satisfy 0 <= min_lr <= learning_rate (got min_lr "
                    + minLr + ", learning_rate " + peakLr + ")");
        }
        if (warmupSteps < 0 || totalSteps < 1) {
            throw new ConfigException("warmup steps must be >= 0 and max_steps >= 1 (got " + warmupSteps + ", " + totalSteps + ")");
        }
        this.type = type;
        this.peakLr = peakLr;
        this.minLr = minLr;
        this.warmupSteps = warmupSteps;
        this.totalSteps = totalSteps;
    }

    /** The learning rate of optimizer step {@code step} (1-based). */
    public double lr(long step) {
        if (step < 1) {
            throw new IllegalArgumentException("steps are 1-based, got " + step);
        }
        if (step <= warmupSteps) {
            return peakLr * step / warmupSteps;
        }
        if (type == LrScheduler.CONSTANT) {
            return peakLr;
        }
        long decaySteps = totalSteps - warmupSteps;
        double progress = decaySteps <= 0 ? 1.0 : Math.min(1.0, (double) (step - warmupSteps) / decaySteps);
        double shape = type == LrScheduler.LINEAR ? 1.0 - progress : 0.5 * (1.0 + Math.cos(Math.PI * progress));
        return minLr + (peakLr - minLr) * shape;
    }

    public LrScheduler type() {
        return type;
    }
}
