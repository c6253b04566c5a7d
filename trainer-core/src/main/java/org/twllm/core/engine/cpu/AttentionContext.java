package org.twllm.core.engine.cpu;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.twllm.core.engine.TokenBatch;

/**
 * What every attention layer of one batch shares: the batch geometry, the rotary tables for the batch's
 * positions ([B, T, 1, D/2]) and the tiling plan that says which score tiles to compute and how to mask them.
 */
record AttentionContext(int batchSize, int seqLen, INDArray cos, INDArray sin, AttentionTiling tiling) {
    static AttentionContext of(TokenBatch batch, Rotary rotary, DataType dataType, AttentionTiling tiling) {
        INDArray[] tables = rotary.tables(batch.positions(), batch.batchSize(), batch.seqLen(), dataType);
        return new AttentionContext(batch.batchSize(), batch.seqLen(), tables[0], tables[1], tiling);
    }
}
