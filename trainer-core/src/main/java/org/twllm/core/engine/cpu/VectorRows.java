package org.twllm.core.engine.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The fp32 row kernels of the softmax passes on the JDK's Vector API, over heap arrays (only when
 * {@link VectorSupport#ENABLED}). Sums are taken in the vector lanes over blocks of {@link #SUM_BLOCK} elements and
 * added across blocks in double, so a 32,000-wide row sums as accurately as a pairwise sum.
 */
final class VectorRows {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int SUM_BLOCK = 1024;

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
        FloatVector s = FloatVector.broadcast(SPECIES, shift);
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
                v = v.sub(s).lanewise(VectorOperators.EXP);
                v.intoArray(x, from + i);
                sum = sum.add(v);
            }
            total += sum.reduceLanes(VectorOperators.ADD);
        }
        for (; i < n; i++) {
            float e = (float) Math.exp(x[from + i] + (mask == null ? 0f : mask[maskFrom + i]) - shift);
            x[from + i] = e;
            total += e;
        }
        return total;
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
