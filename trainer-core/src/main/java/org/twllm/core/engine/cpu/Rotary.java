package org.twllm.core.engine.cpu;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Rotary position embeddings in HuggingFace's rotate-half convention: the head dimension is split in
 * halves (x1, x2) and pair i = (x1[i], x2[i]) is rotated by angle {@code position * theta^(-2i/D)}.
 * Positions come from the batch, so packed SFT examples restart at 0.
 */
final class Rotary {
    private final int headDim;
    private final double[] inverseFrequency;

    Rotary(int headDim, double theta) {
        this.headDim = headDim;
        this.inverseFrequency = new double[headDim / 2];
        for (int i = 0; i < headDim / 2; i++) {
            inverseFrequency[i] = 1.0 / Math.pow(theta, (2.0 * i) / headDim);
        }
    }

    /** cos and sin tables, each [B, T, 1, D/2] (broadcast over heads), for the batch's positions (angles in double). */
    INDArray[] tables(int[] positions, int batchSize, int seqLen, DataType dataType) {
        int half = headDim / 2;
        double[] cos = new double[positions.length * half];
        double[] sin = new double[positions.length * half];
        for (int t = 0; t < positions.length; t++) {
            for (int i = 0; i < half; i++) {
                double angle = positions[t] * inverseFrequency[i];
                cos[t * half + i] = Math.cos(angle);
                sin[t * half + i] = Math.sin(angle);
            }
        }
        long[] shape = {batchSize, seqLen, 1, half};
        return new INDArray[] {Nd4j.create(cos, shape, 'c').castTo(dataType), Nd4j.create(sin, shape, 'c').castTo(dataType)};
    }

    /** Rotates {@code x} [B, T, heads, D] in place: (x1, x2) -> (x1 cos - x2 sin, x2 cos + x1 sin). */
    void rotate(INDArray x, INDArray cos, INDArray sin) {
        apply(x, cos, sin, 1.0);
    }

    /** The transpose of {@link #rotate} (rotation by the negative angle), in place: the backward of rotate. */
    void rotateBack(INDArray dx, INDArray cos, INDArray sin) {
        apply(dx, cos, sin, -1.0);
    }

    /**
     * One pass over {@code x} [B, T, heads, D] in place, rotating each pair by {@code direction} times its angle;
     * each position's row and table rows are copied to heap arrays ({@link RowScratch}), rotated there and
     * written back, the tables shared by the heads.
     */
    private void apply(INDArray x, INDArray cos, INDArray sin, double direction) {
        int half = headDim / 2;
        int positions = (int) (x.size(0) * x.size(1));
        int width = (int) (x.size(2) * headDim);
        FlatElements xs = FlatElements.of(x);
        FlatElements c = FlatElements.of(cos);
        FlatElements s = FlatElements.of(sin);
        ParallelRows.forEachBlock(positions, width, (block, p0, p1) -> {
            RowScratch scratch = RowScratch.current();
            double[] row = scratch.row(0, width);
            double[] cr = scratch.row(1, half);
            double[] sr = scratch.row(2, half);
            for (int p = p0; p < p1; p++) {
                xs.read(p * width, row, width);
                c.read(p * half, cr, half);
                s.read(p * half, sr, half);
                for (int i = 0; i < half; i++) {
                    sr[i] *= direction;
                }
                for (int head = 0; head < width; head += headDim) {
                    for (int i = 0; i < half; i++) {
                        double ci = cr[i];
                        double si = sr[i];
                        double x1 = row[head + i];
                        double x2 = row[head + half + i];
                        row[head + i] = x1 * ci - x2 * si;
                        row[head + half + i] = x2 * ci + x1 * si;
                    }
                }
                xs.write(p * width, row, width);
            }
        });
    }
}
