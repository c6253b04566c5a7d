package org.twllm.core.engine;

/**
 * bfloat16: the upper 16 bits of an fp32. Conversions round to nearest even (what a GPU's conversion
 * instructions and PyTorch do); a NaN stays a quiet NaN. The one place the rounding is written.
 */
public final class Bf16 {
    private Bf16() {
    }

    /** The bf16 bit pattern nearest to {@code f} (ties to even). */
    public static short fromFloat(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }

    public static float toFloat(short v) {
        return Float.intBitsToFloat((v & 0xFFFF) << 16);
    }

    /** {@code f} rounded to the nearest bf16 value, as a float. */
    public static float round(float f) {
        return toFloat(fromFloat(f));
    }
}
