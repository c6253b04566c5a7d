package org.twllm.core.engine.cuda;

/**
 * The arguments of one kernel launch, filled in order and checked against the kernel's signature; reused
 * from launch to launch (no allocation). Each value is kept as 64 bits: a 32-bit value in the low half,
 * which is what a little-endian kernel parameter slot holds.
 */
public final class KernelArgs {
    /** Most parameters any kernel in {@link Kernel} takes, with room to spare. */
    public static final int MAX = 32;

    private final Kernel.P[] types = new Kernel.P[MAX];
    private final long[] values = new long[MAX];
    private int count;

    public KernelArgs clear() {
        count = 0;
        return this;
    }

    /** A device address (0 for a null pointer). */
    public KernelArgs ptr(long address) {
        return add(Kernel.P.PTR, address);
    }

    public KernelArgs i32(int v) {
        return add(Kernel.P.I32, v & 0xFFFFFFFFL);
    }

    public KernelArgs i64(long v) {
        return add(Kernel.P.I64, v);
    }

    public KernelArgs f32(float v) {
        return add(Kernel.P.F32, Float.floatToRawIntBits(v) & 0xFFFFFFFFL);
    }

    public KernelArgs f64(double v) {
        return add(Kernel.P.F64, Double.doubleToRawLongBits(v));
    }

    private KernelArgs add(Kernel.P type, long bits) {
        if (count == MAX) {
            throw new IllegalStateException("more than " + MAX + " kernel arguments");
        }
        types[count] = type;
        values[count++] = bits;
        return this;
    }

    public int count() {
        return count;
    }

    public Kernel.P type(int i) {
        return types[i];
    }

    public long bits(int i) {
        return values[i];
    }

    /** Fails unless these arguments match {@code kernel}'s parameters in number and type. */
    public void requireMatches(Kernel kernel) {
        if (count != kernel.parameterCount()) {
            throw new IllegalArgumentException(kernel.baseName() + " takes " + kernel.parameterCount()
                    + " arguments, got " + count);
        }
        for (int i = 0; i < count; i++) {
            if (types[i] != kernel.parameter(i)) {
                throw new IllegalArgumentException(kernel.baseName() + " argument " + i + " must be "
                        + kernel.parameter(i) + ", got " + types[i]);
            }
        }
    }
}
