package org.twllm.core.train;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.twllm.core.model.FlatFloats;

/**
 * Global-norm gradient clipping as {@code torch.nn.utils.clip_grad_norm_} does it: the L2 norm of all
 * gradients of the model (summed across ranks, each contributing the range it owns), and a factor
 * {@code max_norm / (norm + 1e-6)} capped at 1 that the optimizer multiplies the gradients by.
 */
public final class GradientClipping {
    private GradientClipping() {
    }

    /**
     * This rank's share of the squared global L2 norm: the sum of squares over its owned range (after the
     * gradient reduction that range holds the global sums). The norm is the square root of the shares' sum.
     */
    public static double ownedSumOfSquares(INDArray flatGradients, DataParallel dp) {
        return FlatFloats.sumOfSquares(flatGradients, dp.ownedStart(), dp.ownedEnd());
    }

    /** The factor to multiply gradients by; 1 when {@code maxNorm <= 0} (clipping off) or the norm is within it. */
    public static double clipFactor(double norm, double maxNorm) {
        if (maxNorm <= 0) {
            return 1.0;
        }
        return Math.min(1.0, maxNorm / (norm + 1e-6));
    }
}
