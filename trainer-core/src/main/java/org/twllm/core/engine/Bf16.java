package org.twllm.core.engine;

import java.nio.FloatBuffer;
import java.nio.ShortBuffer;

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

    /** {@code values[0, n)} rounded to bf16 in place (they stay floats). */
    public static void roundInPlace(FloatBuffer values, int n) {
        for (int i = 0; i < n; i++) {
            values.put(i, round(values.get(i)));
        }
    }

    /** {@code src[0, n)} rounded to bf16, written both as floats into {@code dst} and as bit patterns into {@code bits}. */
    public static void round(FloatBuffer src, FloatBuffer dst, ShortBuffer bits, int n) {
        for (int i = 0; i < n; i++) {
            short b = fromFloat(src.get(i));
            bits.put(i, b);
            dst.put(i, toFloat(b));
        }
    }

    /** {@code bits[0, n)} as floats into {@code dst} (exact). */
    public static void widen(ShortBuffer bits, FloatBuffer dst, int n) {
        for (int i = 0; i < n; i++) {
            dst.put(i, toFloat(bits.get(i)));
        }
    }
}
