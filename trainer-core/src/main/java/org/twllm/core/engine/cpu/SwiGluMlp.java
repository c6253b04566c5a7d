package org.twllm.core.engine.cpu;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.twllm.core.engine.ParameterLayout;
import org.twllm.core.engine.ParameterSpec;
import org.twllm.core.engine.cpu.StepProfile.Kind;

/**
 * Llama's feed-forward: {@code down(silu(gate(x)) * up(x))}. Saves x, gate(x) and up(x) for backward. The
 * elementwise part is one pass each way: {@code silu(gate) * up} forward, both input gradients backward.
 */
final class SwiGluMlp {
    private final INDArray gate;
    private final INDArray up;
    private final INDArray down;
    private final ParameterSpec gateSpec;
    private final ParameterSpec upSpec;
    private final ParameterSpec downSpec;
    private INDArray input;
    private INDArray gateOut;
    private INDArray upOut;

    SwiGluMlp(ParameterStore store, int layer) {
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
        gateOut = Linear.forward(x, gate);
        upOut = Linear.forward(x, up);
        StepProfile.lap(Kind.MLP_GEMM);
        INDArray hidden = gated(gateOut, upOut);
        StepProfile.lap(Kind.ELEMENTWISE);
        INDArray y = Linear.forward(hidden, down);
        StepProfile.lap(Kind.MLP_GEMM);
        return y;
    }

    /** Gives the weight gradients to {@code grads} (down, up, gate: descending flat order) and returns dL/dx. */
    INDArray backward(INDArray dy, GradientWriter grads) {
        INDArray hidden = gated(gateOut, upOut);
        StepProfile.lap(Kind.ELEMENTWISE);
        grads.matrix(downSpec, Linear.weightGrad(dy, hidden));
        INDArray dHidden = Linear.inputGrad(dy, down);
        StepProfile.lap(Kind.MLP_GEMM);
        INDArray dUp = Nd4j.createUninitialized(dHidden.dataType(), dHidden.shape());
        INDArray dGate = gatedBackward(gateOut, upOut, dHidden, dUp);
        StepProfile.lap(Kind.ELEMENTWISE);
        grads.matrix(upSpec, Linear.weightGrad(dUp, input));
        grads.matrix(gateSpec, Linear.weightGrad(dGate, input));
        INDArray dx = Linear.inputGrad(dGate, gate);
        Linear.addInputGrad(dUp, up, dx);
        StepProfile.lap(Kind.MLP_GEMM);
        return dx;
    }

    /** {@code silu(gate) * up} as a new array of their shape [N, intermediate]. */
    private static INDArray gated(INDArray gate, INDArray up) {
        INDArray out = Nd4j.createUninitialized(gate.dataType(), gate.shape());
        FlatElements a = FlatElements.of(gate);
        FlatElements u = FlatElements.of(up);
        FlatElements o = FlatElements.of(out);
        int width = (int) gate.size(1);
        ParallelRows.forEachBlock((int) gate.size(0), width, (block, r0, r1) -> {
            for (int i = r0 * width, end = r1 * width; i < end; i++) {
                double ai = a.get(i);
                o.set(i, ai / (1 + Math.exp(-ai)) * u.get(i));
            }
        });
        return out;
    }

    /**
     * From dL/d(silu(gate) * up) in {@code dHidden}: writes dL/dup into {@code dUp} and overwrites {@code dHidden}
     * with dL/dgate, which it returns.
     */
    private static INDArray gatedBackward(INDArray gate, INDArray up, INDArray dHidden, INDArray dUp) {
        FlatElements a = FlatElements.of(gate);
        FlatElements u = FlatElements.of(up);
        FlatElements dh = FlatElements.of(dHidden);
        FlatElements du = FlatElements.of(dUp);
        int width = (int) gate.size(1);
        ParallelRows.forEachBlock((int) gate.size(0), width, (block, r0, r1) -> {
            for (int i = r0 * width, end = r1 * width; i < end; i++) {
                double ai = a.get(i);
                double sig = 1 / (1 + Math.exp(-ai));
                double d = dh.get(i);
                du.set(i, d * ai * sig);
                // silu'(a) = sig(a) * (1 + a * (1 - sig(a)))
                dh.set(i, d * u.get(i) * sig * (1 + ai * (1 - sig)));
            }
        });
        return dHidden;
    }
}
