package org.twllm.core.model;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/** Llama's feed-forward: {@code down(silu(gate(x)) * up(x))}. Saves x, gate(x) and up(x) for backward. */
final class SwiGluMlp {
    private final INDArray gate;
    private final INDArray up;
    private final INDArray down;
    private final INDArray gateGrad;
    private final INDArray upGrad;
    private final INDArray downGrad;
    private INDArray input;
    private INDArray gateOut;
    private INDArray upOut;

    SwiGluMlp(INDArray[] weights, INDArray[] grads) {
        this.gate = weights[0];
        this.up = weights[1];
        this.down = weights[2];
        this.gateGrad = grads[0];
        this.upGrad = grads[1];
        this.downGrad = grads[2];
    }

    INDArray forward(INDArray x) {
        input = x;
        gateOut = Linear.forward(x, gate);
        upOut = Linear.forward(x, up);
        INDArray hidden = Transforms.sigmoid(gateOut, true).muli(gateOut).muli(upOut);
        return Linear.forward(hidden, down);
    }

    INDArray backward(INDArray dy) {
        INDArray sig = Transforms.sigmoid(gateOut, true);
        INDArray silu = gateOut.mul(sig);
        Linear.accumulateWeightGrad(dy, silu.mul(upOut), downGrad);
        INDArray dHidden = Linear.inputGrad(dy, down);
        INDArray dUp = dHidden.mul(silu);
        // silu'(a) = sig(a) * (1 + a * (1 - sig(a)))
        INDArray siluGrad = sig.rsub(1.0).muli(gateOut).addi(1.0).muli(sig);
        INDArray dGate = dHidden.muli(upOut).muli(siluGrad);
        Linear.accumulateWeightGrad(dGate, input, gateGrad);
        Linear.accumulateWeightGrad(dUp, input, upGrad);
        INDArray dx = Linear.inputGrad(dGate, gate);
        Linear.addInputGrad(dUp, up, dx);
        return dx;
    }
}
