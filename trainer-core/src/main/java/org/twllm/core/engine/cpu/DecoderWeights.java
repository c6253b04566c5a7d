package org.twllm.core.engine.cpu;

import java.util.List;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.twllm.core.engine.LlamaConfig;
import org.twllm.core.engine.ParameterLayout;

/**
 * The weights the incremental decoder reads, in HuggingFace shapes ({@code [out, in]} for projections),
 * normally views into the model's flat parameter buffer (nothing is copied).
 *
 * @param embedTokens [vocab, hidden]
 * @param finalNorm   [hidden]
 * @param lmHead      [vocab, hidden]; the same array as {@code embedTokens} when embeddings are tied
 */
record DecoderWeights(LlamaConfig shape, INDArray embedTokens, List<Layer> layers, INDArray finalNorm, INDArray lmHead) {

    /**
     * One transformer block.
     *
     * @param inputNorm [hidden], RMSNorm weight before attention
     * @param q         [heads * headDim, hidden]
     * @param k         [kvHeads * headDim, hidden]
     * @param v         [kvHeads * headDim, hidden]
     * @param o         [hidden, heads * headDim]
     * @param postNorm  [hidden], RMSNorm weight before the MLP
     * @param gate      [intermediate, hidden]
     * @param up        [intermediate, hidden]
     * @param down      [hidden, intermediate]
     */
    record Layer(INDArray inputNorm, INDArray q, INDArray k, INDArray v, INDArray o,
                        INDArray postNorm, INDArray gate, INDArray up, INDArray down) {
    }

    /** Views of a model's parameter store (FLOAT or DOUBLE; the decoder computes in float). */
    static DecoderWeights of(ParameterStore store) {
        LlamaConfig shape = store.config();
        List<Layer> layers = new java.util.ArrayList<>();
        for (int i = 0; i < shape.numLayers(); i++) {
            String p = ParameterLayout.layerPrefix(i);
            layers.add(new Layer(store.param(p + "input_layernorm.weight"), store.param(p + "self_attn.q_proj.weight"),
                    store.param(p + "self_attn.k_proj.weight"), store.param(p + "self_attn.v_proj.weight"),
                    store.param(p + "self_attn.o_proj.weight"), store.param(p + "post_attention_layernorm.weight"),
                    store.param(p + "mlp.gate_proj.weight"), store.param(p + "mlp.up_proj.weight"),
                    store.param(p + "mlp.down_proj.weight")));
        }
        INDArray embed = store.param("model.embed_tokens.weight");
        INDArray head = store.config().tieWordEmbeddings() ? embed : store.param("lm_head.weight");
        return new DecoderWeights(shape, embed, layers, store.param("model.norm.weight"), head);
    }

    public DecoderWeights {
        if (layers.size() != shape.numLayers()) {
            throw new IllegalArgumentException("expected " + shape.numLayers() + " layers, got " + layers.size());
        }
        layers = List.copyOf(layers);
    }
}
