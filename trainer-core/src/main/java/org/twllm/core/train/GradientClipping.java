package org.twllm.core.train;

/**
 * Global-norm gradient clipping as {@code torch.nn.utils.clip_grad_norm_} does it: the L2 norm of all
 * gradients of the model (the square root of the ranks' sums of squares over their gradient partitions), and
 * a factor {@code max_norm / (norm + 1e-6)} capped at 1 that the optimizer multiplies the gradients by.
 */
public final class GradientClipping {
    private GradientClipping() {
    }

    /** The factor to multiply gradients by; 1 when {@code maxNorm <= 0} (clipping off) or the norm is within it. */
    public static double clipFactor(double norm, double maxNorm) {
        if (maxNorm <= 0) {
            return 1.0;
        }
        return Math.min(1.0, maxNorm / (norm + 1e-6));
    }
}
