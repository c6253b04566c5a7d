package org.twllm.core.engine.cpu;

import java.nio.FloatBuffer;

import org.nd4j.linalg.api.blas.params.MMulTranspose;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.reduce.Mmul;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.twllm.core.engine.cpu.StepProfile.Kind;

/**
 * The middle of attention, {@code softmax(Q K^T + mask) V}, tiled with an online softmax as in
 * FlashAttention-2 (Dao, 2023): no [T, T] scores ever exist; forward keeps per query row only the output and
 * the log-sum-exp, and backward recomputes each score tile from Q, K and that log-sum-exp.
 *
 * <p>Arrays are one plan's slab of heads ({@link AttentionTiling}): q [n, T*G, D] with row {@code t*G + g}
 * for position t and query head g of the group that shares one key/value head; k, v [n, T, D]. Q is already
 * scaled by 1/sqrt(D). A tile of query positions [t0, t1) is rows [t0*G, t1*G), and it meets the keys it sees a
 * {@link AttentionTiling.Run} at a time: a handful of batched products of (tile*G) x (run keys) scores per head,
 * whose temporaries live in a workspace reset after the run, so their size is bounded by the run's, not by T.
 */
final class TiledAttention {
    private TiledAttention() {
    }

    /**
     * Writes {@code out} [n, T*G, D] and {@code lse} [n, T*G, 1], the log of the softmax denominator per
     * query row: {@code lse = m + log(l)} with m the row's largest score and l the sum of exp(score - m) over
     * the keys it sees.
     */
    static void forward(AttentionTiling tiling, int plan, INDArray q, INDArray k, INDArray v, INDArray out, INDArray lse) {
        if (vectorSoftmax(q)) {
            forwardVector(tiling, plan, q, k, v, out, lse);
            return;
        }
        long n = q.size(0);
        int group = (int) (q.size(1) / k.size(1));
        for (int i = 0; i < tiling.tileCount(); i++) {
            long r0 = (long) tiling.start(i) * group;
            long r1 = (long) tiling.end(i) * group;
            INDArray qi = rows(q, r0, r1);
            INDArray oi = rows(out, r0, r1);
            INDArray mi = rows(lse, r0, r1);
            try (MemoryWorkspace row = Workspaces.open(Workspaces.ATTENTION_ROW)) {
                INDArray li = Nd4j.createUninitialized(q.dataType(), n, r1 - r0, 1);
                boolean first = true;
                for (AttentionTiling.Run run : tiling.runsOfQueryTile(plan, i)) {
                    int k0 = run.keyStart();
                    int k1 = run.keyEnd();
                    try (MemoryWorkspace tile = Workspaces.open(Workspaces.ATTENTION_TILE)) {
                        INDArray p = scores(qi, rows(k, k0, k1), run, group);
                        INDArray rowMax = p.max(true, 2);
                        if (first) {
                            mi.assign(rowMax);
                            Transforms.exp(p.subi(mi), false);
                            li.assign(p.sum(true, 2));
                            StepProfile.lap(Kind.ATTENTION_SOFTMAX);
                            product(p, rows(v, k0, k1), oi, false);
                        } else {
                            // rescale what earlier runs summed to the new row maximum
                            INDArray mNew = Transforms.max(mi, rowMax, true);
                            INDArray alpha = Transforms.exp(mi.sub(mNew), false);
                            Transforms.exp(p.subi(mNew), false);
                            li.muli(alpha).addi(p.sum(true, 2));
                            oi.muli(alpha);
                            StepProfile.lap(Kind.ATTENTION_SOFTMAX);
                            accumulate(p, rows(v, k0, k1), oi, false, false);
                            mi.assign(mNew);
                        }
                        StepProfile.lap(Kind.ATTENTION_TILE_GEMM);
                    }
                    first = false;
                }
                oi.divi(li);
                mi.addi(Transforms.log(li, false));
                StepProfile.lap(Kind.ATTENTION_SOFTMAX);
            }
        }
    }

    /**
     * {@link #forward} with the softmax work in {@link TileSoftmax} (fp32, Vector API): the running maximum and
     * denominator of each query row live in heap arrays for one query tile, and the log-sum-exp is written into
     * {@code lse} at the tile's end.
     */
    private static void forwardVector(AttentionTiling tiling, int plan, INDArray q, INDArray k, INDArray v, INDArray out,
                                      INDArray lse) {
        int n = (int) q.size(0);
        int group = (int) (q.size(1) / k.size(1));
        FloatBuffer lseRows = FlatElements.floats(lse);
        for (int i = 0; i < tiling.tileCount(); i++) {
            long r0 = (long) tiling.start(i) * group;
            long r1 = (long) tiling.end(i) * group;
            int rows = (int) (r1 - r0);
            INDArray qi = rows(q, r0, r1);
            INDArray oi = rows(out, r0, r1);
            float[] max = new float[n * rows];
            float[] sum = new float[n * rows];
            float[] alpha = new float[n * rows];
            try (MemoryWorkspace row = Workspaces.open(Workspaces.ATTENTION_ROW)) {
                boolean first = true;
                for (AttentionTiling.Run run : tiling.runsOfQueryTile(plan, i)) {
                    int k0 = run.keyStart();
                    int k1 = run.keyEnd();
                    try (MemoryWorkspace tile = Workspaces.open(Workspaces.ATTENTION_TILE)) {
                        INDArray p = product(qi, rows(k, k0, k1), null, true);
                        StepProfile.lap(Kind.ATTENTION_TILE_GEMM);
                        TileSoftmax.forward(p, run, group, first, max, sum, alpha);
                        if (first) {
                            StepProfile.lap(Kind.ATTENTION_SOFTMAX);
                            product(p, rows(v, k0, k1), oi, false);
                        } else {
                            oi.muli(column(alpha, n, rows));
                            StepProfile.lap(Kind.ATTENTION_SOFTMAX);
                            accumulate(p, rows(v, k0, k1), oi, false, false);
                        }
                        StepProfile.lap(Kind.ATTENTION_TILE_GEMM);
                    }
                    first = false;
                }
                oi.divi(column(sum, n, rows));
                long slabRows = q.size(1);
                for (int h = 0; h < n; h++) {
                    for (int r = 0; r < rows; r++) {
                        int j = h * rows + r;
                        lseRows.put((int) (h * slabRows + r0 + r), max[j] + (float) Math.log(sum[j]));
                    }
                }
                StepProfile.lap(Kind.ATTENTION_SOFTMAX);
            }
        }
    }

    /**
     * Adds dQ (of the scaled queries), dK and dV into {@code dq} [n, T*G, D], {@code dk}, {@code dv} [n, T, D],
     * given {@code dOut} and {@code rowDot} = rowsum(dOut * out) [n, T*G, 1] (FlashAttention-2's D). Query tiles
     * are the outer loop, each meeting its runs in ascending order: dQ of a query tile sums over a whole run in one
     * product, and dK, dV of a run's keys take one product per query tile that sees them.
     */
    static void backward(AttentionTiling tiling, int plan, INDArray q, INDArray k, INDArray v, INDArray lse, INDArray dOut,
                         INDArray rowDot, INDArray dq, INDArray dk, INDArray dv) {
        int group = (int) (q.size(1) / k.size(1));
        boolean vector = vectorSoftmax(q);
        for (int i = 0; i < tiling.tileCount(); i++) {
            long r0 = (long) tiling.start(i) * group;
            long r1 = (long) tiling.end(i) * group;
            INDArray qi = rows(q, r0, r1);
            INDArray dOi = rows(dOut, r0, r1);
            INDArray dqi = rows(dq, r0, r1);
            float[] lseRows = vector ? rowValues(lse, r0, r1) : null;
            float[] rowDotRows = vector ? rowValues(rowDot, r0, r1) : null;
            for (AttentionTiling.Run run : tiling.runsOfQueryTile(plan, i)) {
                INDArray kj = rows(k, run.keyStart(), run.keyEnd());
                INDArray vj = rows(v, run.keyStart(), run.keyEnd());
                try (MemoryWorkspace tile = Workspaces.open(Workspaces.ATTENTION_TILE)) {
                    INDArray p;
                    if (vector) {
                        p = product(qi, kj, null, true);
                        StepProfile.lap(Kind.ATTENTION_TILE_GEMM);
                        TileSoftmax.probabilities(p, run, group, lseRows);
                    } else {
                        p = scores(qi, kj, run, group);
                        Transforms.exp(p.subi(rows(lse, r0, r1)), false);
                    }
                    StepProfile.lap(Kind.ATTENTION_SOFTMAX);
                    accumulate(p, dOi, rows(dv, run.keyStart(), run.keyEnd()), true, false);
                    INDArray dp = product(dOi, vj, null, true);
                    StepProfile.lap(Kind.ATTENTION_TILE_GEMM);
                    // softmax backward: dS = P * (dP - rowsum(dO * O))
                    INDArray ds;
                    if (vector) {
                        TileSoftmax.gradient(dp, p, rowDotRows);
                        ds = dp;
                    } else {
                        ds = dp.subi(rows(rowDot, r0, r1)).muli(p);
                    }
                    StepProfile.lap(Kind.ATTENTION_SOFTMAX);
                    accumulate(ds, kj, dqi, false, false);
                    accumulate(ds, qi, rows(dk, run.keyStart(), run.keyEnd()), true, false);
                    StepProfile.lap(Kind.ATTENTION_TILE_GEMM);
                }
            }
        }
    }

    /** Whether the softmax work runs in {@link TileSoftmax}: fp32 with the Vector API. */
    private static boolean vectorSoftmax(INDArray q) {
        return VectorSupport.ENABLED && q.dataType() == DataType.FLOAT;
    }

    /** {@code values} [n * rows] as an fp32 column [n, rows, 1] (in the open workspace). */
    private static INDArray column(float[] values, int n, int rows) {
        INDArray c = Nd4j.createUninitialized(DataType.FLOAT, n, rows, 1);
        FlatElements.floats(c).put(values);
        return c;
    }

    /** Rows [r0, r1) of every head of a per-row statistic [n, rowsPerHead, 1] (fp32, contiguous), head by head. */
    private static float[] rowValues(INDArray stat, long r0, long r1) {
        int n = (int) stat.size(0);
        int rows = (int) (r1 - r0);
        FloatBuffer all = FlatElements.floats(stat);
        float[] out = new float[n * rows];
        for (int h = 0; h < n; h++) {
            all.get((int) (h * stat.size(1) + r0), out, h * rows, rows);
        }
        return out;
    }

    /** Scores [n, queries*G, keys] of one run, with the run's mask added over the keys it covers. */
    private static INDArray scores(INDArray qi, INDArray kj, AttentionTiling.Run run, int group) {
        INDArray s = product(qi, kj, null, true);
        StepProfile.lap(Kind.ATTENTION_TILE_GEMM);
        if (run.mask() != null) {
            s.reshape('c', s.size(0), s.size(1) / group, group, s.size(2))
                    .get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(run.maskStart() - run.keyStart(), run.keys()))
                    .addi(run.mask());
        }
        return s;
    }

    /** {@code a op(b)} into {@code out} (a new array when null), batched over the first axis. */
    private static INDArray product(INDArray a, INDArray b, INDArray out, boolean transB) {
        countProduct(a, b, false, transB);
        return Nd4j.matmul(a, b, out, false, transB, false);
    }

    /** c += op(a) op(b), batched over the first axis. */
    private static void accumulate(INDArray a, INDArray b, INDArray c, boolean transA, boolean transB) {
        countProduct(a, b, transA, transB);
        Nd4j.exec(new Mmul(a, b, c, 1.0, 1.0, MMulTranspose.builder().transposeA(transA).transposeB(transB).build()));
    }

    /** The step profile's operation count of one batched product of [n, m, k] x [n, k, cols] ({@link StepProfile#gemm}). */
    private static void countProduct(INDArray a, INDArray b, boolean transA, boolean transB) {
        StepProfile.gemm(a.size(0), a.size(transA ? 2 : 1), b.size(transB ? 1 : 2), a.size(transA ? 1 : 2));
    }

    /** Rows [from, to) of the middle axis, a view. */
    private static INDArray rows(INDArray a, long from, long to) {
        return a.get(NDArrayIndex.all(), NDArrayIndex.interval(from, to), NDArrayIndex.all());
    }
}
