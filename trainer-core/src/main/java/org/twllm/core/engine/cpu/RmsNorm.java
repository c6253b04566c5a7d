package org.twllm.core.engine.cpu;

import java.util.Arrays;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.twllm.core.engine.ParameterSpec;
import org.twllm.core.engine.cpu.StepProfile.Kind;

/**
 * RMSNorm over the last axis: {@code y = x / sqrt(mean(x^2) + eps) * w}. Forward keeps its input and the
 * per-row reciprocal rms (one value per token) for backward. Forward and backward are one pass per row each
 * (mean square and projection accumulated in double), threaded over blocks of rows.
 */
final class RmsNorm {
    private final INDArray weight;
    private final ParameterSpec spec;
    private final double eps;
    private final ActivationRounding rounding;
    private INDArray input;
    /** Reciprocal rms of the saved input's rows, [N]. */
    private INDArray rstd;
    /** Per block of rows, that block's share of dL/dw (summed in block order, so the bits do not depend on threads). */
    private double[] weightGradBlocks = new double[0];

    RmsNorm(ParameterStore store, String name, double eps, ActivationRounding rounding) {
        this.weight = store.param(name);
        this.spec = store.spec(name);
        this.eps = eps;
        this.rounding = rounding;
    }

    /** {@code x} [N, hidden] -> new [N, hidden] (the statistics in fp32, the output rounded as {@link ActivationRounding} says). */
    INDArray forward(INDArray x) {
        int n = (int) x.size(0);
        int h = (int) x.size(1);
        input = x;
        rstd = Nd4j.createUninitialized(x.dataType(), n);
        FlatElements s = FlatElements.of(rstd);
        INDArray y = Nd4j.createUninitialized(x.dataType(), n, h);
        FlatElements xs = FlatElements.of(x);
        FlatElements ys = FlatElements.of(y);
        FlatElements w = FlatElements.of(weight);
        ParallelRows.forEachBlock(n, h, (block, r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int o = r * h;
                double sumSquares = 0;
                for (int j = 0; j < h; j++) {
                    double v = xs.get(o + j);
                    sumSquares += v * v;
                }
                double scale = 1.0 / Math.sqrt(sumSquares / h + eps);
                s.set(r, scale);
                for (int j = 0; j < h; j++) {
                    ys.set(o + j, xs.get(o + j) * scale * w.get(j));
                }
            }
        });
        StepProfile.lap(Kind.NORM);
        return rounding.apply(y);
    }

    /** Gives dL/dw to {@code grads} and returns dL/dx for {@code dy} [N, hidden]. */
    INDArray backward(INDArray dy, GradientWriter grads) {
        INDArray dx = Nd4j.createUninitialized(dy.dataType(), dy.shape());
        backward(dy, grads, dx, false);
        return dx;
    }

    /** Gives dL/dw to {@code grads} and adds dL/dx for {@code dy} [N, hidden] to {@code dResidual}: the residual's add fused in. */
    void addBackward(INDArray dy, GradientWriter grads, INDArray dResidual) {
        backward(dy, grads, dResidual, true);
    }

    private void backward(INDArray dy, GradientWriter grads, INDArray dxOut, boolean accumulate) {
        int n = (int) dy.size(0);
        int h = (int) dy.size(1);
        int blocks = ParallelRows.blocks(n);
        if (weightGradBlocks.length < blocks * h) {
            weightGradBlocks = new double[blocks * h];
        }
        FlatElements s = FlatElements.of(rstd);
        double[] dwBlocks = weightGradBlocks;
        FlatElements xs = FlatElements.of(input);
        FlatElements dys = FlatElements.of(dy);
        FlatElements dx = FlatElements.of(dxOut);
        FlatElements w = FlatElements.of(weight);
        ParallelRows.forEachBlock(n, h, (block, r0, r1) -> {
            int dwo = block * h;
            Arrays.fill(dwBlocks, dwo, dwo + h, 0.0);
            for (int r = r0; r < r1; r++) {
                int o = r * h;
                double scale = s.get(r);
                double dot = 0;
                for (int j = 0; j < h; j++) {
                    dot += dys.get(o + j) * w.get(j) * xs.get(o + j);
                }
                // dx = rstd * (g - xhat * mean(g * xhat)) with g = dy * w, xhat = x * rstd: the second term is
                // the rms's own dependence on x.
                double projection = dot * scale * scale / h;
                for (int j = 0; j < h; j++) {
                    double dyj = dys.get(o + j);
                    double xj = xs.get(o + j);
                    double d = scale * (dyj * w.get(j) - xj * projection);
                    dx.set(o + j, accumulate ? dx.get(o + j) + d : d);
                    dwBlocks[dwo + j] += dyj * xj * scale;
                }
            }
        });
        INDArray dw = Nd4j.createUninitialized(weight.dataType(), h);
        FlatElements dws = FlatElements.of(dw);
        for (int j = 0; j < h; j++) {
            double sum = 0;
            for (int b = 0; b < blocks; b++) {
                sum += dwBlocks[b * h + j];
            }
            dws.set(j, sum);
        }
        grads.values(spec.offset(), dw);
        StepProfile.lap(Kind.NORM);
    }
}
