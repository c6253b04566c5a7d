package org.twllm.core.train;

/**
 * The figures of one optimizer step, as written to {@code metrics.jsonl} and the progress line.
 *
 * @param step         1-based optimizer step
 * @param loss         mean training loss over the global batch's trained tokens, before the update
 * @param lr           learning rate used for the update
 * @param gradNorm     global gradient L2 norm before clipping
 * @param tokens       trained tokens so far (all ranks, this step included)
 * @param tokensPerS   trained tokens per second of this step (all ranks)
 * @param mfu          model FLOPs utilisation of this step (0..1)
 * @param elapsedS     wall seconds since the run (or the resumed part of it) started
 * @param skippedSteps steps skipped so far for a non-finite loss or gradient
 * @param valLoss      validation loss measured after this step, or NaN when none was measured
 */
public record StepMetrics(
        long step,
        double loss,
        double lr,
        double gradNorm,
        long tokens,
        double tokensPerS,
        double mfu,
        double elapsedS,
        long skippedSteps,
        double valLoss) {

    public boolean hasValLoss() {
        return !Double.isNaN(valLoss);
    }
}
