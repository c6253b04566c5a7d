package org.twllm.core.config;

/**
 * Llama-2 architecture of a randomly initialised model, HF {@code config.json} names.
 * When {@code model.init} is a directory its own config.json decides and no architecture is given.
 */
public record ModelArchitecture(
        int hiddenSize,
        int intermediateSize,
        int numHiddenLayers,
        int numAttentionHeads,
        int numKeyValueHeads,
        int vocabSize,
        int maxPositionEmbeddings,
        double rmsNormEps,
        double ropeTheta,
        boolean tieWordEmbeddings,
        double initializerRange) {

    public int headDim() {
        return hiddenSize / numAttentionHeads;
    }

    /** Number of trainable parameters (embeddings, layers, final norm, and lm_head unless tied). */
    public long parameterCount() {
        long h = hiddenSize;
        long kv = (long) numKeyValueHeads * headDim();
        long attention = h * h + 2 * h * kv + h * h;
        long mlp = 3 * h * intermediateSize;
        long layer = attention + mlp + 2 * h;
        long embeddings = (long) vocabSize * h;
        return embeddings + numHiddenLayers * layer + h + (tieWordEmbeddings ? 0 : embeddings);
    }
}
