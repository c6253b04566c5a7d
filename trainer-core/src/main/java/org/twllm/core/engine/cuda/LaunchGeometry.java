package org.twllm.core.engine.cuda;

/** Grid sizes for the engine's kernels: every grid-strided kernel covers any size with a capped grid. */
public final class LaunchGeometry {
    /** Rows of the input one block of rmsnorm_weight_grad sums before its atomic add. */
    static final int WEIGHT_GRAD_ROWS_PER_BLOCK = 64;
    /** The CUDA limit on gridDim.y. */
    static final int MAX_GRID_Y = 65535;

    private LaunchGeometry() {
    }

    /** Blocks of {@code threads} for {@code n} grid-strided elements: enough for one each, at most {@code maxBlocks}, at least 1. */
    public static int blocks(long n, int threads, int maxBlocks) {
        long needed = (n + threads - 1) / threads;
        return (int) Math.max(1, Math.min(needed, maxBlocks));
    }

    /** Blocks for a kernel with one block per row (grid-strided over rows). */
    public static int rowBlocks(long rows, int maxBlocks) {
        return (int) Math.max(1, Math.min(rows, maxBlocks));
    }

    /** gridDim.y of rmsnorm_weight_grad: row chunks of about {@link #WEIGHT_GRAD_ROWS_PER_BLOCK} rows. */
    public static int weightGradChunks(int rows, int maxBlocks) {
        long chunks = ((long) rows + WEIGHT_GRAD_ROWS_PER_BLOCK - 1) / WEIGHT_GRAD_ROWS_PER_BLOCK;
        return (int) Math.max(1, Math.min(chunks, Math.min(maxBlocks, MAX_GRID_Y)));
    }
}
