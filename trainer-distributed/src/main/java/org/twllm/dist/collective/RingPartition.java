package org.twllm.dist.collective;

/**
 * Splits {@code n} elements into one contiguous range per rank, as segment bounds:
 * rank {@code r} owns {@code [bounds[r], bounds[r + 1])}.
 *
 * <p>The rule: every rank but the tail gets {@code share = roundUp(ceil(n / world), align)} elements,
 * in rank order; the ranges end at {@code n}, so the last owning rank's range may be short and ranks
 * after it own nothing (zero-length ranges). {@code align} keeps each range start on a cache line
 * (16 floats) so neighbouring ranks never write the same line.
 */
public final class RingPartition {
    /** Alignment used for the ZeRO-2 ownership of the flat buffers: 16 floats = 64 bytes. */
    public static final int CACHE_LINE_FLOATS = 16;

    private RingPartition() {
    }

    /** Bounds of {@code world} ranges over {@code [0, n)}, each start aligned to {@code align} elements. */
    public static long[] split(long n, int world, int align) {
        if (n < 0 || world < 1 || align < 1) {
            throw new IllegalArgumentException("bad partition: n=" + n + " world=" + world + " align=" + align);
        }
        long share = (n + world - 1) / world;
        share = (share + align - 1) / align * align;
        long[] bounds = new long[world + 1];
        for (int r = 0; r <= world; r++) {
            bounds[r] = Math.min(n, share * r);
        }
        return bounds;
    }

    /** The same segments restricted to {@code [from, to)}; segments outside it become empty. */
    public static long[] clip(long[] bounds, long from, long to) {
        long[] clipped = new long[bounds.length];
        for (int i = 0; i < bounds.length; i++) {
            clipped[i] = Math.max(from, Math.min(to, bounds[i]));
        }
        return clipped;
    }
}
