package org.twllm.core.engine.cpu;

import java.util.Arrays;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.twllm.core.engine.ParameterSpec;
import org.twllm.core.engine.cpu.StepProfile.Kind;

/**
 * RMSNorm over the last axis: {@code y = x / sqrt(mean(x^2) + eps) * w}. Forward keeps its input and the
 * per-row reciprocal rms (one value per token) for backward. Forward and backward are one pass per row each
 * (mean square and projection accumulated in double) on heap copies of the rows ({@link RowScratch}), threaded
 * over blocks of rows; backward can take the residual add that follows it.
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
    /** dL/dw summed over the blocks, before it goes into the gradient's type. */
    private double[] weightGrad = new double[0];

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
            RowScratch scratch = RowScratch.current();
            double[] xr = scratch.row(0, h);
            double[] yr = scratch.row(1, h);
            double[] wr = scratch.row(2, h);
            double[] scales = scratch.row(3, r1 - r0);
            w.read(0, wr, h);
            for (int r = r0; r < r1; r++) {
                int o = r * h;
                xs.read(o, xr, h);
                double sumSquares = 0;
                for (int j = 0; j < h; j++) {
                    sumSquares += xr[j] * xr[j];
                }
                double scale = 1.0 / Math.sqrt(sumSquares / h + eps);
                scales[r - r0] = scale;
                for (int j = 0; j < h; j++) {
                    yr[j] = xr[j] * scale * wr[j];
                }
                ys.write(o, yr, h);
            }
            s.write(r0, scales, r1 - r0);
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
            RowScratch scratch = RowScratch.current();
            double[] xr = scratch.row(0, h);
            double[] dyr = scratch.row(1, h);
            double[] dxr = scratch.row(2, h);
            double[] wr = scratch.row(3, h);
            double[] scales = scratch.row(4, r1 - r0);
            w.read(0, wr, h);
            s.read(r0, scales, r1 - r0);
            int dwo = block * h;
            Arrays.fill(dwBlocks, dwo, dwo + h, 0.0);
            for (int r = r0; r < r1; r++) {
                int o = r * h;
                xs.read(o, xr, h);
                dys.read(o, dyr, h);
                double scale = scales[r - r0];
                double dot = 0;
                for (int j = 0; j < h; j++) {
                    dot += dyr[j] * wr[j] * xr[j];
                }
                // dx = rstd * (g - xhat * mean(g * xhat)) with g = dy * w, xhat = x * rstd: the second term is
                // the rms's own dependence on x.
                double projection = dot * scale * scale / h;
                if (accumulate) {
                    dx.read(o, dxr, h);
                    for (int j = 0; j < h; j++) {
                        dxr[j] += scale * (dyr[j] * wr[j] - xr[j] * projection);
                    }
                } else {
                    for (int j = 0; j < h; j++) {
                        dxr[j] = scale * (dyr[j] * wr[j] - xr[j] * projection);
                    }
                }
                dx.write(o, dxr, h);
                for (int j = 0; j < h; j++) {
                    dwBlocks[dwo + j] += dyr[j] * xr[j] * scale;
                }
            }
        });
        if (weightGrad.length < h) {
            weightGrad = new double[h];
        }
        for (int j = 0; j < h; j++) {
            double sum = 0;
            for (int b = 0; b < blocks; b++) {
                sum += dwBlocks[b * h + j];
            }
            weightGrad[j] = sum;
        }
        INDArray dw = Nd4j.createUninitialized(weight.dataType(), h);
        FlatElements.of(dw).write(0, weightGrad, h);
        grads.values(spec.offset(), dw);
        StepProfile.lap(Kind.NORM);
    }
}
