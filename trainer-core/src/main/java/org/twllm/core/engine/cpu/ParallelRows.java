package org.twllm.core.engine.cpu;

import java.util.stream.IntStream;

/**
 * Runs a fused pass over the rows of a matrix in fixed blocks of rows, in parallel on the common pool. The
 * blocks do not depend on the thread count, so a pass that reduces over rows per block (RMSNorm's weight
 * gradient) gives the same bits on any machine.
 */
final class ParallelRows {
    /** Rows per block: big enough to amortise a task, small enough to share two cores on the shapes we train. */
    static final int BLOCK = 32;
    /** Below this many elements a pass runs on the calling thread alone (the tests' tiny shapes). */
    private static final long PARALLEL_ELEMENTS = 1 << 15;

    private ParallelRows() {
    }

    /** Rows {@code [r0, r1)} of block {@code block}. */
    @FunctionalInterface
    interface Body {
        void rows(int block, int r0, int r1);
    }

    static int blocks(int rows) {
        return (rows + BLOCK - 1) / BLOCK;
    }

    /** Calls {@code body} once per block of {@code rows} rows of width {@code width}. */
    static void forEachBlock(int rows, int width, Body body) {
        IntStream blocks = IntStream.range(0, blocks(rows));
        if ((long) rows * width >= PARALLEL_ELEMENTS) {
            blocks = blocks.parallel();
        }
        blocks.forEach(b -> body.rows(b, b * BLOCK, Math.min(rows, (b + 1) * BLOCK)));
    }
}
