package org.twllm.core.train;

/**
 * Training FLOPs per trained token, the PaLM / Megatron convention: {@code 6 N + 12 L d T}, where N is
 * the number of parameters that take part in matrix products (every parameter except the embedding
 * table, which is a lookup; a tied LM head still counts once, as a product), L the layers, d the hidden
 * size and T the sequence length. The attention term counts the full T x T score and value products
 * (no discount for the causal mask), as PaLM does. 6 = 2 FLOPs per multiply-add x (1 forward + 2 backward).
 */
public final class ModelFlops {
    private ModelFlops() {
    }

    /**
     * @param totalParameters     every trainable parameter
     * @param embeddingParameters the token embedding table (vocab x hidden)
     * @param tiedEmbeddings      whether the LM head is the embedding table
     */
    public static double perToken(long totalParameters, long embeddingParameters, boolean tiedEmbeddings,
                                  int numLayers, int hiddenSize, int seqLen) {
        long matmulParameters = tiedEmbeddings ? totalParameters : totalParameters - embeddingParameters;
        return 6.0 * matmulParameters + 12.0 * numLayers * hiddenSize * (double) seqLen;
    }
}
