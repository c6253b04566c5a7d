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
     * Adds row i of {@code dOut} into row ids[i] of {@code tableGrad} ([vocab, hidden]). One in-place row add per
     * token: ND4J's scatterAdd returns a copy of the whole table, which costs far more on a 32k-row vocabulary.
     */
    static void backward(int[] ids, INDArray dOut, INDArray tableGrad) {
        for (int i = 0; i < ids.length; i++) {
            tableGrad.getRow(ids[i]).addi(dOut.getRow(i));
        }
        StepProfile.lap(Kind.EMBEDDING);
    }
}
