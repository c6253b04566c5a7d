package org.twllm.core.model;

import org.nd4j.linalg.api.ndarray.INDArray;

/** One pre-norm Llama block: {@code x + attn(norm1(x))}, then {@code h + mlp(norm2(h))}. */
final class TransformerBlock {
    private final RmsNorm attentionNorm;
    private final Attention attention;
    private final RmsNorm mlpNorm;
    private final SwiGluMlp mlp;

    TransformerBlock(LlamaConfig config, ParameterStore store, int layer, Rotary rotary) {
        String p = ParameterStore.layerPrefix(layer);
        attentionNorm = new RmsNorm(store.param(p + "input_layernorm.weight"), store.grad(p + "input_layernorm.weight"),
                config.rmsNormEps());
        String[] attn = {"self_attn.q_proj.weight", "self_attn.k_proj.weight", "self_attn.v_proj.weight", "self_attn.o_proj.weight"};
        attention = new Attention(config, rotary, views(store, p, attn, false), views(store, p, attn, true));
        mlpNorm = new RmsNorm(store.param(p + "post_attention_layernorm.weight"),
                store.grad(p + "post_attention_layernorm.weight"), config.rmsNormEps());
        String[] ffn = {"mlp.gate_proj.weight", "mlp.up_proj.weight", "mlp.down_proj.weight"};
        mlp = new SwiGluMlp(views(store, p, ffn, false), views(store, p, ffn, true));
    }

    private static INDArray[] views(ParameterStore store, String prefix, String[] names, boolean grads) {
        INDArray[] out = new INDArray[names.length];
        for (int i = 0; i < names.length; i++) {
            out[i] = grads ? store.grad(prefix + names[i]) : store.param(prefix + names[i]);
        }
        return out;
    }

    /** {@code x} [N, hidden] -> new [N, hidden]; x itself is kept (the attention norm's saved input). */
    INDArray forward(INDArray x, AttentionContext ctx) {
        INDArray afterAttention = x.add(attention.forward(attentionNorm.forward(x), ctx));
        return afterAttention.add(mlp.forward(mlpNorm.forward(afterAttention)));
    }

    /**
     * Turns the gradient w.r.t. the block's output into the gradient w.r.t. its input, in place
     * (the residual stream's gradient buffer), adding every parameter gradient on the way.
     */
    void backward(INDArray dResidual) {
        INDArray dMlpNormOut = mlp.backward(dResidual);
        dResidual.addi(mlpNorm.backward(dMlpNormOut));
        INDArray dAttentionNormOut = attention.backward(dResidual);
        dResidual.addi(attentionNorm.backward(dAttentionNormOut));
    }
}
