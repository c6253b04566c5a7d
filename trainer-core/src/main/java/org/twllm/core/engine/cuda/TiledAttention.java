package org.twllm.core.engine.cuda;

/**
 * Causal multi-head attention with grouped-query heads and packed example masks, tiled over keys with an
 * online softmax (FlashAttention-2): the forward keeps only the output and a log-sum-exp per row, the
 * backward recomputes each score tile from Q, K and that log-sum-exp. The tile products are batched cuBLAS
 * GEMMs over the kv heads (query head h = kv * G + g uses kv head kv, so for each g the query heads lie
 * G * D apart and no K or V is repeated); the softmax steps are kernels. Fully masked tiles are skipped
 * ({@link AttentionPlan}). Scratch is bounded by one key tile: [kvHeads, seqLen, keyTile].
 *
 * <p>Tensors are token-major: q and out [B*T, H*D] (T), k and v [B*T, KV*D] (T); gradients come out in fp32
 * accumulators of the same layouts; lse [B, H, T] fp32.
 */
public final class TiledAttention implements AutoCloseable {
    private final Gpu gpu;
    private final Kernels kernels;
    private final StorageType type;
    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final int keyTile;
    private final float scale;
    private final DeviceBuffer scores;
    private final DeviceBuffer dprobs;
    private final DeviceBuffer probs;
    private final DeviceBuffer rowMax;
    private final DeviceBuffer rowSum;
    private final DeviceBuffer outAcc;
    private final AttentionTile tile = new AttentionTile();

    /** Scratch for batches of up to {@code maxBatch} rows of {@code maxSeqLen} positions. */
    public TiledAttention(Kernels kernels, int heads, int kvHeads, int headDim, int keyTile, int maxBatch, int maxSeqLen) {
        this.gpu = kernels.gpu();
        this.kernels = kernels;
        this.type = kernels.type();
        this.heads = heads;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.keyTile = keyTile;
        this.scale = (float) (1 / Math.sqrt(headDim));
        long tileElements = (long) kvHeads * maxSeqLen * Math.min(keyTile, maxSeqLen);
        long rowStats = (long) maxBatch * heads * maxSeqLen;
        this.scores = gpu.allocate(4 * tileElements);
        this.dprobs = gpu.allocate(4 * tileElements);
        this.probs = gpu.allocate(type.bytes() * tileElements);
        this.rowMax = gpu.allocate(4 * rowStats);
        this.rowSum = gpu.allocate(4 * rowStats);
        this.outAcc = gpu.allocate(4L * maxBatch * maxSeqLen * heads * headDim);
    }

    public int keyTile() {
        return keyTile;
    }

    /** A plan of the batch's visible tiles for this attention's key tile. */
    public AttentionPlan plan(int[] exampleIds, int batch, int seqLen) {
        return new AttentionPlan(exampleIds, batch, seqLen, keyTile);
    }

    /** out T and lse fp32 from q, k, v; exampleIds is the device copy of the plan's ids. */
    public void forward(AttentionPlan plan, long exampleIds, int batch, int seqLen, long q, long k, long v, long out, long lse) {
        long stats = (long) batch * heads * seqLen;
        kernels.fill(rowMax.address(), Float.NEGATIVE_INFINITY, stats);
        gpu.fill(rowSum.address(), 0, 4 * stats);
        gpu.fill(outAcc.address(), 0, 4L * batch * seqLen * heads * headDim);
        int group = heads / kvHeads;
        forEachTile(plan, exampleIds, batch, seqLen, (b, g, q0, rows, k0, cols) -> {
            scores(q, k, b, g, q0, rows, k0, cols, seqLen);
            kernels.attentionForwardTile(scores.address(), probs.address(), rowMax.address(), rowSum.address(),
            outAcc.address(), tile, headDim, scale);
            // out_acc[rows] += P V_tile, batched over kv heads
            gpu.gemm(false, false, rows, headDim, cols, 1f,
            probs.address(), cols, (long) rows * cols,
            element(v, kvRow(b, k0, seqLen), type), (long) kvHeads * headDim, headDim, 1f,
            element(outAcc.address(), queryRow(b, q0, seqLen) + (long) g * headDim, StorageType.F32),
            (long) heads * headDim, (long) group * headDim, kvHeads, type, StorageType.F32);
        });
        kernels.attentionForwardFinalize(outAcc.address(), rowMax.address(), rowSum.address(), out, lse, batch, seqLen, heads,
                headDim);
    }

    /**
     * dq, dk, dv fp32 accumulators (zeroed here) from the output gradient dout T; delta is scratch fp32
     * [B, H, T].
     */
    public void backward(AttentionPlan plan, long exampleIds, int batch, int seqLen, long q, long k, long v, long out,
            long lse, long dout, long delta, long dq, long dk, long dv) {
        long tokens = (long) batch * seqLen;
        gpu.fill(dq, 0, 4 * tokens * heads * headDim);
        gpu.fill(dk, 0, 4 * tokens * kvHeads * headDim);
        gpu.fill(dv, 0, 4 * tokens * kvHeads * headDim);
        kernels.attentionBackwardDelta(dout, out, delta, batch, seqLen, heads, headDim);
        int group = heads / kvHeads;
        long qLd = (long) heads * headDim;
        long kvLd = (long) kvHeads * headDim;
        long qStride = (long) group * headDim;
        forEachTile(plan, exampleIds, batch, seqLen, (b, g, q0, rows, k0, cols) -> {
            long tileStride = (long) rows * cols;
            long qRows = queryRow(b, q0, seqLen) + (long) g * headDim;
            long kvRows = kvRow(b, k0, seqLen);
            scores(q, k, b, g, q0, rows, k0, cols, seqLen);
            kernels.attentionBackwardProbs(scores.address(), probs.address(), lse, tile, scale);
            // dV_tile += P^T dO
            gpu.gemm(true, false, cols, headDim, rows, 1f, probs.address(), cols, tileStride,
                    element(dout, qRows, type), qLd, qStride, 1f,
                    element(dv, kvRows, StorageType.F32), kvLd, headDim, kvHeads, type, StorageType.F32);
            // dP = dO V_tile^T
            gpu.gemm(false, true, rows, cols, headDim, 1f, element(dout, qRows, type), qLd, qStride,
                    element(v, kvRows, type), kvLd, headDim, 0f,
                    dprobs.address(), cols, tileStride, kvHeads, type, StorageType.F32);
            kernels.attentionBackwardDscores(scores.address(), dprobs.address(), lse, delta, probs.address(), tile, scale);
            // dQ += dS K_tile
            gpu.gemm(false, false, rows, headDim, cols, 1f, probs.address(), cols, tileStride,
                    element(k, kvRows, type), kvLd, headDim, 1f,
                    element(dq, qRows, StorageType.F32), qLd, qStride, kvHeads, type, StorageType.F32);
            // dK_tile += dS^T Q
            gpu.gemm(true, false, cols, headDim, rows, 1f, probs.address(), cols, tileStride,
                    element(q, qRows, type), qLd, qStride, 1f,
                    element(dk, kvRows, StorageType.F32), kvLd, headDim, kvHeads, type, StorageType.F32);
        });
    }

    /** What to do for one planned tile (the shared {@link #tile} is already aimed at it). */
    @FunctionalInterface
    private interface TileStep {
        void run(int batchRow, int group, int q0, int rows, int k0, int cols);
    }

    /** Runs {@code step} for every tile of the plan with a visible pair, per batch row and query group. */
    private void forEachTile(AttentionPlan plan, long exampleIds, int batch, int seqLen, TileStep step) {
        tile.batch(exampleIds, seqLen, heads, kvHeads);
        for (int b = 0; b < batch; b++) {
            for (int g = 0; g < heads / kvHeads; g++) {
                for (int j = 0; j < plan.tilesPerRow(); j++) {
                    int q0 = plan.queryStart(j);
                    int rows = plan.queryEnd(b, j) - q0;
                    if (rows > 0) {
                        tile.at(b, g, q0, rows, plan.keyStart(j), plan.keyCount(j));
                        step.run(b, g, q0, rows, plan.keyStart(j), plan.keyCount(j));
                    }
                }
            }
        }
    }

    /** scores fp32 [kv][rows][cols] = Q_rows K_tile^T for query heads kv * G + g. */
    private void scores(long q, long k, int b, int g, int q0, int rows, int k0, int cols, int seqLen) {
        gpu.gemm(false, true, rows, cols, headDim, 1f,
                element(q, queryRow(b, q0, seqLen) + (long) g * headDim, type), (long) heads * headDim,
                (long) (heads / kvHeads) * headDim,
                element(k, kvRow(b, k0, seqLen), type), (long) kvHeads * headDim, headDim, 0f,
                scores.address(), cols, (long) rows * cols, kvHeads, type, StorageType.F32);
    }

    /** Element index of (batch row b, position t, query head 0) in a [B*T, H*D] tensor. */
    private long queryRow(int b, int t, int seqLen) {
        return ((long) b * seqLen + t) * heads * headDim;
    }

    /** Element index of (batch row b, position t, kv head 0) in a [B*T, KV*D] tensor. */
    private long kvRow(int b, int t, int seqLen) {
        return ((long) b * seqLen + t) * kvHeads * headDim;
    }

    private static long element(long base, long index, StorageType type) {
        return base + index * type.bytes();
    }

    @Override
    public void close() {
        scores.close();
        dprobs.close();
        probs.close();
        rowMax.close();
        rowSum.close();
        outAcc.close();
    }
}
