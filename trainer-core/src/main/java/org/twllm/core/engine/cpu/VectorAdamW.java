package org.twllm.core.engine.cpu;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link CpuAdamW}'s update, eight elements at a time on the Vector API (only when {@link VectorSupport#ENABLED}):
 * the same double-precision operations in the same order as the scalar loop, each correctly rounded (multiply,
 * add, divide, square root, and the conversions between float and double), so the bits are the scalar loop's and
 * the CUDA kernel's, interpreted or compiled.
 */
final class VectorAdamW {
    private static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_256;
    private static final VectorSpecies<Double> DOUBLES = DoubleVector.SPECIES_512;

    private VectorAdamW() {
    }

    /** Updates whole groups of eight from {@code from}; returns where the groups end (the caller does the rest). */
    static int update(CpuAdamW.Coefficients k, double decay, float[] p, float[] g, float[] m, float[] v, int from, int to) {
        final double b1 = k.beta1();
        final double b2 = k.beta2();
        final double stepSize = k.stepSize();
        final double bc2Sqrt = k.bc2Sqrt();
        final double eps = k.eps();
        final double gradScale = k.gradScale();
        int i = from;
        for (int bound = to - FLOATS.length(); i <= bound; i += FLOATS.length()) {
            DoubleVector grad = widen(g, i).mul(gradScale);
            FloatVector mi = narrow(widen(m, i).mul(b1).add(grad.mul(1 - b1)));
            FloatVector vi = narrow(widen(v, i).mul(b2).add(grad.mul(1 - b2).mul(grad)));
            mi.intoArray(m, i);
            vi.intoArray(v, i);
            DoubleVector denom = widen(vi).lanewise(VectorOperators.SQRT).div(bc2Sqrt).add(eps);
            narrow(widen(p, i).mul(decay).sub(widen(mi).mul(stepSize).div(denom))).intoArray(p, i);
        }
        return i;
    }

    private static DoubleVector widen(float[] a, int i) {
        return widen(FloatVector.fromArray(FLOATS, a, i));
    }

    private static DoubleVector widen(FloatVector f) {
        return (DoubleVector) f.convertShape(VectorOperators.F2D, DOUBLES, 0);
    }

    private static FloatVector narrow(DoubleVector d) {
        return (FloatVector) d.convertShape(VectorOperators.D2F, FLOATS, 0);
    }
}
