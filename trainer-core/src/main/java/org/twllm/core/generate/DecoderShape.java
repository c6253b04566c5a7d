package org.twllm.core.generate;

/**
 * The dimensions of a Llama decoder the incremental forward needs.
 *
 * @param maxPositions the longest sequence the model supports (HF {@code max_position_embeddings})
 */
public record DecoderShape(int vocab, int hidden, int intermediate, int layers, int heads, int kvHeads,
                           double rmsNormEps, double ropeTheta, int maxPositions) {

    public static DecoderShape of(org.twllm.core.model.LlamaConfig c) {
        return new DecoderShape(c.vocabSize(), c.hiddenSize(), c.intermediateSize(), c.numLayers(), c.numHeads(),
                c.numKvHeads(), c.rmsNormEps(), c.ropeTheta(), c.maxPositionEmbeddings());
    }

    public DecoderShape {
        if (hidden % heads != 0) {
            throw new IllegalArgumentException("hidden " + hidden + " is not a multiple of heads " + heads);
        }
        if (heads % kvHeads != 0) {
            throw new IllegalArgumentException("heads " + heads + " is not a multiple of kv heads " + kvHeads);
        }
    }

    public int headDim() {
        return hidden / heads;
    }

    public int kvDim() {
        return kvHeads * headDim();
    }
}
