package org.twllm.core.engine.cpu;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.twllm.core.engine.ParameterLayout;
import org.twllm.core.engine.ParameterSpec;

/**
 * One full-size flat gradient buffer that every backward ADDS into: zero_stage 1's local buffer (accumulating the
 * step's micro-batches before one reduce-scatter), and the gradients finite-difference checks read.
 */
final class FullGradients implements GradientWriter {
    private final INDArray flat;

    FullGradients(ParameterLayout layout, DataType dataType) {
        try (MemoryWorkspace outside = Workspaces.outside()) {
            flat = Nd4j.zeros(dataType, layout.total());
        }
    }

    /** The flat buffer (1-D, the layout's order). */
    INDArray flat() {
        return flat;
    }

    void zero() {
        flat.assign(0);
    }

    @Override
    public void matrix(ParameterSpec s, RowBlocks rows) {
        rows.compute(0, s.shape()[0], ParameterStore.view(flat, s), true);
    }

    @Override
    public void values(long offset, INDArray values) {
        flat.get(NDArrayIndex.interval(offset, offset + values.length())).addi(values.reshape(values.length()));
    }
}
