package org.twllm.core.engine.cpu;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.twllm.core.engine.LlamaConfig;
import org.twllm.core.engine.ParameterLayout;
import org.twllm.core.engine.cpu.StepProfile.Kind;

/** One pre-norm Llama block: {@code x + attn(norm1(x))}, then {@code h + mlp(norm2(h))}. */
final class TransformerBlock {
    private final RmsNorm attentionNorm;
    private final Attention attention;
    private final RmsNorm mlpNorm;
    private final SwiGluMlp mlp;

    TransformerBlock(LlamaConfig config, ParameterStore store, int layer, Rotary rotary, ActivationRounding rounding) {
        String p = ParameterLayout.layerPrefix(layer);
        attentionNorm = new RmsNorm(store, p + "input_layernorm.weight", config.rmsNormEps(), rounding);
        attention = new Attention(config, rotary, store, layer, rounding);
        mlpNorm = new RmsNorm(store, p + "post_attention_layernorm.weight", config.rmsNormEps(), rounding);
        mlp = new SwiGluMlp(store, layer, rounding);
    }

    /** {@code x} [N, hidden] -> new [N, hidden]; x itself is kept (the attention norm's saved input). */
    INDArray forward(INDArray x, AttentionContext ctx) {
        // the sublayers' outputs are fresh arrays nobody keeps, so the residual adds go in place into them
        INDArray afterAttention = attention.forward(attentionNorm.forward(x), ctx).addi(x);
        StepProfile.lap(Kind.ELEMENTWISE);
        INDArray out = mlp.forward(mlpNorm.forward(afterAttention)).addi(afterAttention);
        StepProfile.lap(Kind.ELEMENTWISE);
        return out;
    }

    /**
     * Turns the gradient w.r.t. the block's output into the gradient w.r.t. its input, in place (the residual
     * stream's gradient buffer), giving every parameter gradient to {@code grads} on the way (last tensor first).
     */
    void backward(INDArray dResidual, GradientWriter grads) {
        INDArray dMlpNormOut = mlp.backward(dResidual, grads);
        mlpNorm.addBackward(dMlpNormOut, grads, dResidual);
        INDArray dAttentionNormOut = attention.backward(dResidual, grads);
        attentionNorm.addBackward(dAttentionNormOut, grads, dResidual);
    }
}
