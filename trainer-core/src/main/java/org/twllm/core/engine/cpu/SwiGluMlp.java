package org.twllm.core.engine.cpu;

import java.nio.FloatBuffer;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.twllm.core.engine.ParameterLayout;
import org.twllm.core.engine.ParameterSpec;
import org.twllm.core.engine.cpu.StepProfile.Kind;

/**
 * Llama's feed-forward: {@code down(silu(gate(x)) * up(x))}. Saves x, gate(x) and up(x) for backward. SwiGLU's
 * product is one Vector API pass per row in fp32 ({@link VectorRows}), ND4J's sigmoid and two products otherwise;
 * backward recomputes the product with the same code and the sigmoid with the same kernel, then takes both inputs'
 * gradients in one fused row pass on heap copies of the rows ({@link RowScratch}) instead of eight ND4J ops.
 */
final class SwiGluMlp {
    private final INDArray gate;
    private final INDArray up;
    private final INDArray down;
    private final ParameterSpec gateSpec;
    private final ParameterSpec upSpec;
    private final ParameterSpec downSpec;
    private final ActivationRounding rounding;
    private INDArray input;
    private INDArray gateOut;
    private INDArray upOut;

    SwiGluMlp(ParameterStore store, int layer, ActivationRounding rounding) {
        this.rounding = rounding;
        String p = ParameterLayout.layerPrefix(layer);
        this.gate = store.param(p + "mlp.gate_proj.weight");
        this.up = store.param(p + "mlp.up_proj.weight");
        this.down = store.param(p + "mlp.down_proj.weight");
        this.gateSpec = store.spec(p + "mlp.gate_proj.weight");
        this.upSpec = store.spec(p + "mlp.up_proj.weight");
        this.downSpec = store.spec(p + "mlp.down_proj.weight");
    }

    INDArray forward(INDArray x) {
        input = x;
        gateOut = rounding.apply(Linear.forward(x, gate));
        upOut = rounding.apply(Linear.forward(x, up));
        StepProfile.lap(Kind.MLP_GEMM);
        INDArray hidden = rounding.apply(product(gateOut, upOut));
        StepProfile.lap(Kind.ELEMENTWISE);
        INDArray y = rounding.apply(Linear.forward(hidden, down));
        StepProfile.lap(Kind.MLP_GEMM);
        return y;
    }

    /** Gives the weight gradients to {@code grads} (down, up, gate: descending flat order) and returns dL/dx. */
    INDArray backward(INDArray dResidual, GradientWriter grads) {
        INDArray dy = rounding.copy(dResidual);
        INDArray sig = sigmoid(gateOut);
        // the forward's own product, so the down projection's gradient sees the same bits
        INDArray hidden = rounding.apply(product(gateOut, upOut));
        StepProfile.lap(Kind.ELEMENTWISE);
        grads.matrix(downSpec, Linear.weightGrad(dy, hidden));
        INDArray dHidden = rounding.apply(Linear.inputGrad(dy, down));
        StepProfile.lap(Kind.MLP_GEMM);
        INDArray dUp = Nd4j.createUninitialized(dHidden.dataType(), dHidden.shape());
        productBackward(gateOut, sig, upOut, dHidden, dUp);
        rounding.apply(dUp);
        INDArray dGate = rounding.apply(dHidden);
        StepProfile.lap(Kind.ELEMENTWISE);
        grads.matrix(upSpec, Linear.weightGrad(dUp, input));
        grads.matrix(gateSpec, Linear.weightGrad(dGate, input));
        INDArray dx = Linear.inputGrad(dGate, gate);
        Linear.addInputGrad(dUp, up, dx);
        StepProfile.lap(Kind.MLP_GEMM);
        return dx;
    }

    /**
     * {@code (a * sigmoid(a)) * u}, a new array: in fp32 with the Vector API one pass per row (the sigmoid as
     * {@link #sigmoid}'s, so backward's recomputed product has the same bits), else ND4J's sigmoid and two products.
     */
    private static INDArray product(INDArray a, INDArray u) {
        if (!vectorPasses(a)) {
            return Transforms.sigmoid(a, true).muli(a).muli(u);
        }
        INDArray h = Nd4j.createUninitialized(a.dataType(), a.shape());
        int width = (int) a.size(1);
        FloatBuffer as = FlatElements.floats(a);
        FloatBuffer us = FlatElements.floats(u);
        FloatBuffer hs = FlatElements.floats(h);
        ParallelRows.forEachBlock((int) a.size(0), width, (block, r0, r1) -> productRows(as, us, hs, width, r0, r1));
        return h;
    }

    private static void productRows(FloatBuffer as, FloatBuffer us, FloatBuffer hs, int width, int r0, int r1) {
        RowScratch scratch = RowScratch.current();
        float[] ar = scratch.floats(0, width);
        float[] ur = scratch.floats(1, width);
        float[] hr = scratch.floats(2, width);
        for (int r = r0; r < r1; r++) {
            as.get(r * width, ar, 0, width);
            us.get(r * width, ur, 0, width);
            VectorRows.siluTimes(ar, ur, hr, width);
            hs.put(r * width, hr, 0, width);
        }
    }

    /** {@code sigmoid(a)}, a new array: the Vector API's pass in fp32 when the JVM has it, else ND4J's op. */
    private static INDArray sigmoid(INDArray a) {
        if (!vectorPasses(a)) {
            return Transforms.sigmoid(a, true);
        }
        INDArray s = Nd4j.createUninitialized(a.dataType(), a.shape());
        int width = (int) a.size(1);
        FloatBuffer as = FlatElements.floats(a);
        FloatBuffer ss = FlatElements.floats(s);
        ParallelRows.forEachBlock((int) a.size(0), width, (block, r0, r1) -> sigmoidRows(as, ss, width, r0, r1));
        return s;
    }

    private static void sigmoidRows(FloatBuffer as, FloatBuffer ss, int width, int r0, int r1) {
        RowScratch scratch = RowScratch.current();
        float[] ar = scratch.floats(0, width);
        float[] sr = scratch.floats(1, width);
        for (int r = r0; r < r1; r++) {
            as.get(r * width, ar, 0, width);
            VectorRows.sigmoid(ar, sr, width);
            ss.put(r * width, sr, 0, width);
        }
    }

    private static boolean vectorPasses(INDArray a) {
        return VectorSupport.ENABLED && a.dataType() == DataType.FLOAT;
    }

    /**
     * The product's backward for {@code d} = dL/d(silu(a) * u): {@code dUp = d * silu(a)}, and {@code dGate = d * u *
     * silu'(a)} in place of {@code d}, where {@code silu'(a) = sig * (1 + a * (1 - sig))}.
     */
    private static void productBackward(INDArray a, INDArray sig, INDArray u, INDArray d, INDArray dUp) {
        int n = (int) a.size(0);
        int width = (int) a.size(1);
        FlatElements as = FlatElements.of(a);
        FlatElements ss = FlatElements.of(sig);
        FlatElements us = FlatElements.of(u);
        FlatElements ds = FlatElements.of(d);
        FlatElements dus = FlatElements.of(dUp);
        ParallelRows.forEachBlock(n, width, (block, r0, r1) -> {
            RowScratch scratch = RowScratch.current();
            double[] ar = scratch.row(0, width);
            double[] sr = scratch.row(1, width);
            double[] ur = scratch.row(2, width);
            double[] dr = scratch.row(3, width);
            double[] dur = scratch.row(4, width);
            for (int r = r0; r < r1; r++) {
                int o = r * width;
                as.read(o, ar, width);
                ss.read(o, sr, width);
                us.read(o, ur, width);
                ds.read(o, dr, width);
                for (int j = 0; j < width; j++) {
                    double aj = ar[j];
                    double sj = sr[j];
                    dur[j] = dr[j] * (aj * sj);
                    dr[j] = dr[j] * ur[j] * (sj * (1 + aj * (1 - sj)));
                }
                dus.write(o, dur, width);
                ds.write(o, dr, width);
            }
        });
    }
}
