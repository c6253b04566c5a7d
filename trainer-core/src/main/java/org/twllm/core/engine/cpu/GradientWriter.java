package org.twllm.core.engine.cpu;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.twllm.core.engine.ParameterSpec;

/**
 * Where backward puts each parameter gradient. Calls come in descending flat order, the LM head first and the
 * embedding last (backward runs from the last layer to the first, each layer's tensors from its last to its
 * first), so a writer that hands out buckets from the end of the layout knows a bucket is final as soon as a
 * call reaches below it.
 */
interface GradientWriter {
    /** The gradient of the matrix {@code s} ({@code [rows, cols]}), computed by {@code rows} block by block. */
    void matrix(ParameterSpec s, RowBlocks rows);

    /** {@code values} (contiguous) is the gradient of flat elements {@code [offset, offset + values.length())}. */
    void values(long offset, INDArray values);

    /** A matrix gradient that can be computed for any block of its rows (output features) alone. */
    @FunctionalInterface
    interface RowBlocks {
        /** Writes gradient rows {@code [r0, r1)} into {@code dst} ({@code [r1 - r0, cols]}), or adds them when {@code accumulate}. */
        void compute(long r0, long r1, INDArray dst, boolean accumulate);
    }
}
