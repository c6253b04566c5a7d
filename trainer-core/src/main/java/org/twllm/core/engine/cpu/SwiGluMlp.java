package org.twllm.core.engine.cpu;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.twllm.core.engine.ParameterLayout;
import org.twllm.core.engine.ParameterSpec;
import org.twllm.core.engine.cpu.StepProfile.Kind;

/** Llama's feed-forward: {@code down(silu(gate(x)) * up(x))}. Saves x, gate(x) and up(x) for backward. */
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
        INDArray hidden = rounding.apply(Transforms.sigmoid(gateOut, true).muli(gateOut).muli(upOut));
        StepProfile.lap(Kind.ELEMENTWISE);
        INDArray y = rounding.apply(Linear.forward(hidden, down));
        StepProfile.lap(Kind.MLP_GEMM);
        return y;
    }

    /** Gives the weight gradients to {@code grads} (down, up, gate: descending flat order) and returns dL/dx. */
    INDArray backward(INDArray dResidual, GradientWriter grads) {
        INDArray dy = rounding.copy(dResidual);
        INDArray sig = Transforms.sigmoid(gateOut, true);
        INDArray silu = gateOut.mul(sig);
        INDArray hidden = rounding.apply(silu.mul(upOut));
        StepProfile.lap(Kind.ELEMENTWISE);
        grads.matrix(downSpec, Linear.weightGrad(dy, hidden));
        INDArray dHidden = rounding.apply(Linear.inputGrad(dy, down));
        StepProfile.lap(Kind.MLP_GEMM);
        INDArray dUp = rounding.apply(dHidden.mul(silu));
        // silu'(a) = sig(a) * (1 + a * (1 - sig(a)))
        INDArray siluGrad = sig.rsub(1.0).muli(gateOut).addi(1.0).muli(sig);
        INDArray dGate = rounding.apply(dHidden.muli(upOut).muli(siluGrad));
        StepProfile.lap(Kind.ELEMENTWISE);
        grads.matrix(upSpec, Linear.weightGrad(dUp, input));
        grads.matrix(gateSpec, Linear.weightGrad(dGate, input));
        INDArray dx = Linear.inputGrad(dGate, gate);
        Linear.addInputGrad(dUp, up, dx);
        StepProfile.lap(Kind.MLP_GEMM);
        return dx;
    }
}
