package org.twllm.core.engine.cpu;

/**
 * One thread's heap arrays for the fused row passes: the rows a pass copies out of ND4J's buffers, computes on
 * and writes back, plus the float staging {@link FlatElements} converts fp32 rows through. Plain arrays are what
 * C2 vectorises; the native buffers' per-element access is several times slower. Arrays grow on demand and are
 * kept, so a pass allocates nothing once the widest row has been seen. A pass owns its thread's slots for one
 * {@link ParallelRows} block body and must not call another pass from inside it.
 */
final class RowScratch {
    /** The most rows one pass holds at once (RMSNorm backward: x, dy, dx, w, the block's 1/rms; SwiGLU backward). */
    static final int SLOTS = 5;
    private static final ThreadLocal<RowScratch> PER_THREAD = ThreadLocal.withInitial(RowScratch::new);

    private final double[][] rows = new double[SLOTS][0];
    private final float[][] floatRows = new float[SLOTS][0];
    private float[] staging = new float[0];

    private RowScratch() {
    }

    static RowScratch current() {
        return PER_THREAD.get();
    }

    /** Slot {@code slot}'s array, at least {@code length} long (its contents are whatever was there). */
    double[] row(int slot, int length) {
        if (rows[slot].length < length) {
            rows[slot] = new double[length];
        }
        return rows[slot];
    }

    /** Float slot {@code slot}'s array (the fp32 softmax passes), at least {@code length} long. */
    float[] floats(int slot, int length) {
        if (floatRows[slot].length < length) {
            floatRows[slot] = new float[length];
        }
        return floatRows[slot];
    }

    /** The staging array for fp32 conversions, at least {@code length} long; only {@link FlatElements} uses it. */
    float[] staging(int length) {
        if (staging.length < length) {
            staging = new float[length];
        }
        return staging;
    }
}
