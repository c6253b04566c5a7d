package org.twllm.core.train;

/**
 * Where a run stands: the counters a checkpoint saves and a resume restores. Mutable, owned by the
 * {@link Trainer}.
 */
public final class TrainingProgress {
    private long step;
    private long consumedSamples;
    private long tokens;
    private long skippedSteps;
    private double elapsedS;

    /** A fresh run: nothing done yet. */
    public TrainingProgress() {
    }

    /** A run resumed after {@code step} steps. */
    public TrainingProgress(long step, long consumedSamples, long tokens, long skippedSteps, double elapsedS) {
        this.step = step;
        this.consumedSamples = consumedSamples;
        this.tokens = tokens;
        this.skippedSteps = skippedSteps;
        this.elapsedS = elapsedS;
    }

    void finishStep(long samples, long trainedTokens, boolean skipped, double seconds) {
        step++;
        consumedSamples += samples;
        tokens += trainedTokens;
        if (skipped) {
            skippedSteps++;
        }
        elapsedS += seconds;
    }

    /** Optimizer steps done, skipped ones included. */
    public long step() {
        return step;
    }

    public long consumedSamples() {
        return consumedSamples;
    }

    /** Trained tokens so far (all ranks). */
    public long tokens() {
        return tokens;
    }

    public long skippedSteps() {
        return skippedSteps;
    }

    /** Training wall time so far, over every resumed part of the run. */
    public double elapsedS() {
        return elapsedS;
    }
}
