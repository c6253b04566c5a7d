package org.twllm.core.engine.cpu;

import java.util.Random;
import java.util.function.DoubleSupplier;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Central finite differences in double precision against analytic gradients. */
final class GradientCheck {
    static final double STEP = 1e-6;

    private GradientCheck() {
    }

    static INDArray random(long seed, long... shape) {
        return Nd4j.randn(seed, shape).castTo(DataType.DOUBLE);
    }

    /**
     * Largest |analytic - numeric| over the checked entries, divided by the largest |numeric| (so entries with
     * tiny gradients do not inflate the figure). Checks every entry when {@code maxEntries <= 0}.
     */
    static double relativeError(INDArray param, INDArray analytic, DoubleSupplier loss, int maxEntries, long seed) {
        long n = param.length();
        long[] indices;
        if (maxEntries <= 0 || maxEntries >= n) {
            indices = new long[(int) n];
            for (int i = 0; i < n; i++) {
                indices[i] = i;
            }
        } else {
            Random r = new Random(seed);
            indices = new long[maxEntries];
            for (int i = 0; i < maxEntries; i++) {
                indices[i] = (long) (r.nextDouble() * n);
            }
        }
        double maxDiff = 0;
        double maxNumeric = 1e-12;
        for (long i : indices) {
            double original = param.getDouble(i);
            param.putScalar(i, original + STEP);
            double plus = loss.getAsDouble();
            param.putScalar(i, original - STEP);
            double minus = loss.getAsDouble();
            param.putScalar(i, original);
            double numeric = (plus - minus) / (2 * STEP);
            maxDiff = Math.max(maxDiff, Math.abs(numeric - analytic.getDouble(i)));
            maxNumeric = Math.max(maxNumeric, Math.abs(numeric));
        }
        return maxDiff / maxNumeric;
    }

    /** sum(out * weights): a scalar whose gradient w.r.t. out is {@code weights}. */
    static double project(INDArray out, INDArray weights) {
        return out.mul(weights).sumNumber().doubleValue();
    }
}
