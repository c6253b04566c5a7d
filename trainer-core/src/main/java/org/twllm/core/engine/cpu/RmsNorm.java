package org.twllm.core.engine.cpu;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.twllm.core.engine.ParameterSpec;
import org.twllm.core.engine.cpu.StepProfile.Kind;

/**
 * RMSNorm over the last axis: {@code y = x / sqrt(mean(x^2) + eps) * w}. Forward keeps its input and the
 * per-row reciprocal rms (one value per token) for backward.
 */
final class RmsNorm {
    private final INDArray weight;
    private final ParameterSpec spec;
    private final double eps;
    private INDArray input;
    private INDArray rstd;

    RmsNorm(ParameterStore store, String name, double eps) {
        this.weight = store.param(name);
        this.spec = store.spec(name);
        this.eps = eps;
    }

    /** {@code x} [N, hidden] -> new [N, hidden]. */
    INDArray forward(INDArray x) {
        long n = x.size(0);
        input = x;
        INDArray meanSquare = x.mul(x).mean(true, 1);
        rstd = Transforms.pow(meanSquare.addi(eps), -0.5, false).reshape(n, 1);
        INDArray y = x.mul(rstd).muli(weight.reshape(1, weight.length()));
        StepProfile.lap(Kind.NORM);
        return y;
    }

    /** Gives dL/dw to {@code grads} and returns dL/dx for {@code dy} [N, hidden]. */
    INDArray backward(INDArray dy, GradientWriter grads) {
        INDArray normalized = input.mul(rstd);
        grads.values(spec.offset(), dy.mul(normalized).sum(0));
        INDArray g = dy.mul(weight.reshape(1, weight.length()));
        // dx = rstd * (g - xhat * mean(g * xhat)), the rms's own dependence on x being the second term.
        INDArray projection = g.mul(normalized).mean(true, 1);
        INDArray dx = g.subi(normalized.muli(projection)).muli(rstd);
        StepProfile.lap(Kind.NORM);
        return dx;
    }
}
