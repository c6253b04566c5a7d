package org.twllm.core.model;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * What every attention layer of one batch shares: the batch geometry, the rotary tables for the
 * batch's positions, and the additive mask (0 where query t may see key s: s <= t and the same example
 * id; a large negative number elsewhere). The mask is [B, 1, T, T], or [1, 1, T, T] (broadcast over rows)
 * when every row is one example, as in cPT.
 */
record AttentionContext(int batchSize, int seqLen, INDArray cos, INDArray sin, INDArray mask) {
    /** Added to the scores of hidden keys; exp() of it underflows to exactly 0 in fp32 and fp64. */
    static final float MASKED = -1e9f;

    static AttentionContext of(TokenBatch batch, Rotary rotary, DataType dataType) {
        int b = batch.batchSize();
        int t = batch.seqLen();
        int[] ex = batch.exampleIds();
        int rows = everyRowOneExample(ex, b, t) ? 1 : b;
        float[] mask = new float[rows * t * t];
        for (int row = 0; row < rows; row++) {
            for (int q = 0; q < t; q++) {
                int base = (row * t + q) * t;
                int qExample = ex[row * t + q];
                for (int k = 0; k < t; k++) {
                    boolean visible = k <= q && ex[row * t + k] == qExample;
                    mask[base + k] = visible ? 0f : MASKED;
                }
            }
        }
        INDArray[] tables = rotary.tables(batch.positions(), b, t, dataType);
        return new AttentionContext(b, t, tables[0], tables[1], Nd4j.create(mask, new long[] {rows, 1, t, t}, 'c').castTo(dataType));
    }

    private static boolean everyRowOneExample(int[] exampleIds, int b, int t) {
        for (int row = 0; row < b; row++) {
            for (int i = 1; i < t; i++) {
                if (exampleIds[row * t + i] != exampleIds[row * t]) {
                    return false;
                }
            }
        }
        return true;
    }
}
