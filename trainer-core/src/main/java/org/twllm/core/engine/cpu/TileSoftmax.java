package org.twllm.core.engine.cpu;

import java.nio.FloatBuffer;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The softmax work of {@link TiledAttention} in fp32 with the Vector API ({@link VectorSupport#ENABLED}): each
 * pass reads a tile's score rows into heap copies, applies the run's mask while it reads, and writes them back,
 * one pass where the ND4J ops take four or five. Rows run in parallel blocks ({@link ParallelRows}).
 *
 * <p>A score block is [n, rows, keys] (n heads of the plan's slab, {@code rows = queries * G}, one run's keys); the
 * run's mask, when it has one, covers the keys from column {@code maskColumn} on, [queries, keys - maskColumn]
 * ({@code AttentionTiling.Run.maskValues}), and row r of a head uses mask row {@code r / G}. Per-row statistics are
 * indexed {@code head * rows + r}.
 */
final class TileSoftmax {
    private final FloatBuffer scores;
    private final float[] mask;
    private final int maskColumn;
    private final int rows;
    private final int keys;
    private final int group;

    private TileSoftmax(INDArray scores, AttentionTiling.Run run, int group) {
        this.scores = FlatElements.floats(scores);
        this.rows = (int) scores.size(1);
        this.keys = (int) scores.size(2);
        this.group = group;
        this.mask = run == null ? null : run.maskValues();
        this.maskColumn = mask == null ? keys : run.maskStart() - run.keyStart();
    }

    /**
     * Forward of one run, the scores turned into {@code exp(s + mask - m')} in place, with {@code m'} each row's
     * running maximum: {@code max} and {@code sum} (the running denominator) are updated, and where {@code first} is
     * false {@code alpha = exp(m - m')} is what the rows' earlier output must be rescaled by.
     */
    static void forward(INDArray scores, AttentionTiling.Run run, int group, boolean first, float[] max, float[] sum, float[] alpha) {
        TileSoftmax pass = new TileSoftmax(scores, run, group);
        ParallelRows.forEachBlock((int) (scores.size(0) * pass.rows), pass.keys,
                (block, r0, r1) -> pass.forwardRows(r0, r1, first, max, sum, alpha));
    }

    /** Backward's probabilities {@code p = exp(s + mask - lse)} in place; {@code lse} per row as above. */
    static void probabilities(INDArray scores, AttentionTiling.Run run, int group, float[] lse) {
        TileSoftmax pass = new TileSoftmax(scores, run, group);
        ParallelRows.forEachBlock((int) (scores.size(0) * pass.rows), pass.keys, (block, r0, r1) -> pass.probabilityRows(r0, r1, lse));
    }

    /** Softmax backward in place: {@code dp = p * (dp - rowDot)}, rowDot per row as above (FlashAttention-2's D). */
    static void gradient(INDArray dp, INDArray p, float[] rowDot) {
        TileSoftmax pass = new TileSoftmax(dp, null, 1);
        FloatBuffer probabilities = FlatElements.floats(p);
        ParallelRows.forEachBlock((int) (dp.size(0) * pass.rows), pass.keys,
                (block, r0, r1) -> pass.gradientRows(r0, r1, probabilities, rowDot));
    }

    private void forwardRows(int r0, int r1, boolean first, float[] max, float[] sum, float[] alpha) {
        float[] row = RowScratch.current().floats(0, keys);
        for (int r = r0; r < r1; r++) {
            scores.get(r * keys, row, 0, keys);
            float rowMax = maxOf(row, r);
            if (first) {
                max[r] = rowMax;
                sum[r] = (float) expShifted(row, r, rowMax);
            } else {
                float newMax = Math.max(max[r], rowMax);
                float a = (float) Math.exp(max[r] - newMax);
                sum[r] = sum[r] * a + (float) expShifted(row, r, newMax);
                alpha[r] = a;
                max[r] = newMax;
            }
            scores.put(r * keys, row, 0, keys);
        }
    }

    private void probabilityRows(int r0, int r1, float[] lse) {
        float[] row = RowScratch.current().floats(0, keys);
        for (int r = r0; r < r1; r++) {
            scores.get(r * keys, row, 0, keys);
            expShifted(row, r, lse[r]);
            scores.put(r * keys, row, 0, keys);
        }
    }

    private void gradientRows(int r0, int r1, FloatBuffer probabilities, float[] rowDot) {
        float[] dp = RowScratch.current().floats(0, keys);
        float[] p = RowScratch.current().floats(1, keys);
        for (int r = r0; r < r1; r++) {
            scores.get(r * keys, dp, 0, keys);
            probabilities.get(r * keys, p, 0, keys);
            VectorRows.softmaxGradient(dp, p, 0, keys, rowDot[r]);
            scores.put(r * keys, dp, 0, keys);
        }
    }

    /** The largest masked score of row r: the keys before the mask as they are, the masked ones with it added. */
    private float maxOf(float[] row, int r) {
        float max = maskColumn > 0 ? VectorRows.max(row, 0, null, 0, maskColumn) : Float.NEGATIVE_INFINITY;
        return maskColumn < keys ? Math.max(max, VectorRows.max(row, maskColumn, mask, maskRow(r), keys - maskColumn)) : max;
    }

    /** Row r turned into {@code exp(s + mask - shift)} in place; returns its sum. */
    private double expShifted(float[] row, int r, float shift) {
        double sum = maskColumn > 0 ? VectorRows.expShifted(row, 0, null, 0, maskColumn, shift) : 0;
        return maskColumn < keys ? sum + VectorRows.expShifted(row, maskColumn, mask, maskRow(r), keys - maskColumn, shift) : sum;
    }

    /** Offset of row r's mask row (its query position within the tile); the mask has {@code keys - maskColumn} columns. */
    private int maskRow(int r) {
        return ((r % rows) / group) * (keys - maskColumn);
    }
}
