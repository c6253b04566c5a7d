package org.twllm.core.engine.cpu;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.twllm.core.engine.cpu.StepProfile.Kind;

/** Token embedding: a row gather forward, a row scatter-add of the output gradient backward. */
final class Embedding {
    private final INDArray weight;

    Embedding(INDArray weight) {
        this.weight = weight;
    }

    /** [N, hidden] rows of the table for {@code ids}. */
    INDArray forward(int[] ids) {
        INDArray rows = Nd4j.pullRows(weight, 1, ids);
        StepProfile.lap(Kind.EMBEDDING);
        return rows;
    }

    /**
     * Adds row i of {@code dOut} into row ids[i] of {@code tableGrad} ([vocab, hidden]), token by token in order, on
     * heap copies of the rows: the bits of one in-place ND4J row add per token (a sum of two floats taken in double
     * rounds to the float sum), without a native op per token. ND4J's scatterAdd returns a copy of the whole table,
     * far more on a 32k-row vocabulary.
     */
    static void backward(int[] ids, INDArray dOut, INDArray tableGrad) {
        int h = (int) tableGrad.size(1);
        FlatElements table = FlatElements.of(tableGrad);
        FlatElements grads = FlatElements.of(dOut);
        RowScratch scratch = RowScratch.current();
        double[] row = scratch.row(0, h);
        double[] add = scratch.row(1, h);
        for (int i = 0; i < ids.length; i++) {
            table.read(ids[i] * h, row, h);
            grads.read(i * h, add, h);
            for (int j = 0; j < h; j++) {
                row[j] += add[j];
            }
            table.write(ids[i] * h, row, h);
        }
        StepProfile.lap(Kind.EMBEDDING);
    }
}
