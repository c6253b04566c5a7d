package org.twllm.core.generate;

import java.util.List;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The weights the incremental decoder reads, in HuggingFace shapes ({@code [out, in]} for projections),
 * normally views into the model's flat parameter buffer (nothing is copied).
 *
 * @param embedTokens [vocab, hidden]
 * @param finalNorm   [hidden]
 * @param lmHead      [vocab, hidden]; the same array as {@code embedTokens} when embeddings are tied
 */
public record DecoderWeights(DecoderShape shape, INDArray embedTokens, List<Layer> layers, INDArray finalNorm, INDArray lmHead) {

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
    public record Layer(INDArray inputNorm, INDArray q, INDArray k, INDArray v, INDArray o,
                        INDArray postNorm, INDArray gate, INDArray up, INDArray down) {
    }

    public DecoderWeights {
        if (layers.size() != shape.layers()) {
            throw new IllegalArgumentException("expected " + shape.layers() + " layers, got " + layers.size());
        }
        layers = List.copyOf(layers);
    }
}
