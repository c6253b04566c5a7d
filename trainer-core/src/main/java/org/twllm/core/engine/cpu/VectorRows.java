package org.twllm.core.engine.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The fp32 row kernels of the softmax passes on the JDK's Vector API, over heap arrays (only when
 * {@link VectorSupport#ENABLED}). Sums are taken in the vector lanes over blocks of {@link #SUM_BLOCK} elements and
 * added across blocks in double, so a 32,000-wide row sums as accurately as a pairwise sum.
 *
 * <p>Every result is the same bits however the JVM runs the code (interpreted, C1 or C2): {@code exp} is our own
 * (Cephes' expf: a degree-6 polynomial after reduction by powers of two, within 2 ulp), not the Vector API's, whose
 * compiled form (Intel's SVML) and interpreted form round differently; and lanes are added in a fixed order, not
 * with {@code reduceLanes(ADD)}, whose order the API leaves open. Only IEEE adds, multiplies, compares and bit moves
 * remain, so resumed runs repeat uninterrupted ones bit for bit.
 */
final class VectorRows {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int SUM_BLOCK = 1024;
    /** Below this exp() is 0 here (fp32's smallest normal is e^-87.3); masked scores (-1e9) land here. */
    private static final float EXP_UNDERFLOW = -87.0f;
    private static final float EXP_OVERFLOW = 88.0f;
    private static final float LOG2E = 1.44269504088896341f;
    /** ln 2 in two parts, the first exact in few bits, so n * LN2_HI has no rounding error. */
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    /** 1.5 * 2^23: adding it rounds to an integer, which then sits in the low bits of the float. */
    private static final float ROUNDER = 12582912f;
    private static final int ROUNDER_BITS = Float.floatToRawIntBits(ROUNDER);
    private static final float P0 = 1.9875691500e-4f;
    private static final float P1 = 1.3981999507e-3f;
    private static final float P2 = 8.3334519073e-3f;
    private static final float P3 = 4.1665795894e-2f;
    private static final float P4 = 1.6666665459e-1f;
    private static final float P5 = 5.0000001201e-1f;

    private VectorRows() {
    }

    /** The largest of {@code x[from, from + n)} after adding {@code mask[maskFrom, maskFrom + n)} (null: none). */
    static float max(float[] x, int from, float[] mask, int maskFrom, int n) {
        int i = 0;
        FloatVector best = FloatVector.broadcast(SPECIES, Float.NEGATIVE_INFINITY);
        for (int bound = SPECIES.loopBound(n); i < bound; i += SPECIES.length()) {
            FloatVector v = FloatVector.fromArray(SPECIES, x, from + i);
            if (mask != null) {
                v = v.add(FloatVector.fromArray(SPECIES, mask, maskFrom + i));
            }
            best = best.max(v);
        }
        float max = best.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) {
            max = Math.max(max, x[from + i] + (mask == null ? 0f : mask[maskFrom + i]));
        }
        return max;
    }

    /** {@code x = exp(x + mask - shift)} in place over {@code [from, from + n)}; returns the sum of the results. */
    static double expShifted(float[] x, int from, float[] mask, int maskFrom, int n, float shift) {
        double total = 0;
        int i = 0;
        int bound = SPECIES.loopBound(n);
        while (i < bound) {
            FloatVector sum = FloatVector.zero(SPECIES);
            for (int blockEnd = Math.min(bound, i + SUM_BLOCK); i < blockEnd; i += SPECIES.length()) {
                FloatVector v = FloatVector.fromArray(SPECIES, x, from + i);
                if (mask != null) {
                    v = v.add(FloatVector.fromArray(SPECIES, mask, maskFrom + i));
                }
                v = exp(v.sub(shift));
                v.intoArray(x, from + i);
                sum = sum.add(v);
            }
            for (int lane = 0; lane < SPECIES.length(); lane++) {
                total += sum.lane(lane);
            }
        }
        for (; i < n; i++) {
            float e = exp(x[from + i] + (mask == null ? 0f : mask[maskFrom + i]) - shift);
            x[from + i] = e;
            total += e;
        }
        return total;
    }

    /** e^x per lane (0 below {@link #EXP_UNDERFLOW}). */
    private static FloatVector exp(FloatVector x) {
        VectorMask<Float> underflow = x.lt(EXP_UNDERFLOW);
        FloatVector c = x.max(EXP_UNDERFLOW).min(EXP_OVERFLOW);
        FloatVector rounded = c.mul(LOG2E).add(ROUNDER);
        FloatVector k = rounded.sub(ROUNDER);
        FloatVector r = c.sub(k.mul(LN2_HI)).sub(k.mul(LN2_LO));
        FloatVector y = r.mul(P0).add(P1).mul(r).add(P2).mul(r).add(P3).mul(r).add(P4).mul(r).add(P5)
                .mul(r.mul(r)).add(r).add(1f);
        FloatVector twoToK = ((IntVector) rounded.reinterpretAsInts()).sub(ROUNDER_BITS - 127)
                .lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return y.mul(twoToK).blend(0f, underflow);
    }

    /** e^x, the same operations as the vector form lane by lane. */
    static float exp(float x) {
        if (x < EXP_UNDERFLOW) {
            return 0f;
        }
        float c = Math.min(x, EXP_OVERFLOW);
        float rounded = c * LOG2E + ROUNDER;
        float k = rounded - ROUNDER;
        float r = c - k * LN2_HI - k * LN2_LO;
        float y = ((((((r * P0 + P1) * r + P2) * r + P3) * r + P4) * r + P5) * (r * r) + r) + 1f;
        float twoToK = Float.intBitsToFloat((Float.floatToRawIntBits(rounded) - (ROUNDER_BITS - 127)) << 23);
        return y * twoToK;
    }

    /** {@code s = sigmoid(a) = 1 / (1 + exp(-a))} over {@code [0, n)}. */
    static void sigmoid(float[] a, float[] s, int n) {
        int i = 0;
        for (int bound = SPECIES.loopBound(n); i < bound; i += SPECIES.length()) {
            sigmoid(FloatVector.fromArray(SPECIES, a, i)).intoArray(s, i);
        }
        for (; i < n; i++) {
            s[i] = 1f / (1f + exp(-a[i]));
        }
    }

    /** SwiGLU's product {@code h = (a * sigmoid(a)) * u} over {@code [0, n)}: the sigmoid as {@link #sigmoid}'s. */
    static void siluTimes(float[] a, float[] u, float[] h, int n) {
        int i = 0;
        for (int bound = SPECIES.loopBound(n); i < bound; i += SPECIES.length()) {
            FloatVector av = FloatVector.fromArray(SPECIES, a, i);
            av.mul(sigmoid(av)).mul(FloatVector.fromArray(SPECIES, u, i)).intoArray(h, i);
        }
        for (; i < n; i++) {
            h[i] = (a[i] * (1f / (1f + exp(-a[i])))) * u[i];
        }
    }

    private static FloatVector sigmoid(FloatVector a) {
        return FloatVector.broadcast(SPECIES, 1f).div(exp(a.neg()).add(1f));
    }

    /** {@code x *= factor} over {@code [from, from + n)}. */
    static void scale(float[] x, int from, int n, float factor) {
        int i = 0;
        for (int bound = SPECIES.loopBound(n); i < bound; i += SPECIES.length()) {
            FloatVector.fromArray(SPECIES, x, from + i).mul(factor).intoArray(x, from + i);
        }
        for (; i < n; i++) {
            x[from + i] *= factor;
        }
    }

    /** Softmax backward in place: {@code dp = p * (dp - rowDot)} over {@code [from, from + n)}. */
    static void softmaxGradient(float[] dp, float[] p, int from, int n, float rowDot) {
        int i = 0;
        for (int bound = SPECIES.loopBound(n); i < bound; i += SPECIES.length()) {
            FloatVector.fromArray(SPECIES, dp, from + i).sub(rowDot).mul(FloatVector.fromArray(SPECIES, p, from + i))
                    .intoArray(dp, from + i);
        }
        for (; i < n; i++) {
            dp[from + i] = p[from + i] * (dp[from + i] - rowDot);
        }
    }
}
