package org.twllm.core.engine.cuda;

/**
 * The scalars of one AdamW update number {@code t} as org.twllm.core.engine.cpu.CpuAdamW computes them, in double:
 * {@code stepSize = lr / (1 - beta1^t)}, {@code bc2Sqrt = sqrt(1 - beta2^t)}, the decoupled decay factor
 * {@code 1 - lr * weightDecay}, and the gradient scale (the clip factor).
 */
public record AdamWStep(double beta1, double beta2, double epsilon, double stepSize, double bc2Sqrt,
        double decayFactor, double gradScale) {

    public static AdamWStep of(double beta1, double beta2, double epsilon, double weightDecay, double lr, long update,
            double gradScale) {
        return new AdamWStep(beta1, beta2, epsilon, lr / (1 - Math.pow(beta1, update)), Math.sqrt(1 - Math.pow(beta2, update)),
                1 - lr * weightDecay, gradScale);
    }
}
