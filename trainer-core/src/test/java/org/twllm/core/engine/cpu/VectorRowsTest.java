package org.twllm.core.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/** The Vector API row kernels (the build's JVM has the module) against StrictMath and against their scalar form. */
class VectorRowsTest {

    @Test
    void expIsWithinTwoUlpOfStrictMathAndEveryLaneEqualsTheScalarForm() {
        assertTrue(VectorSupport.ENABLED, "the test JVM runs with --add-modules jdk.incubator.vector");
        SplittableRandom random = new SplittableRandom(5);
        int n = 10_000 + 7; // a tail the vector loop leaves to the scalar code
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (random.nextDouble() * 95 - 90); // across the underflow bound, up to e^5
        }
        float[] mask = new float[n];
        mask[3] = AttentionTiling.MASKED;
        float[] e = x.clone();
        double sum = VectorRows.expShifted(e, 0, mask, 0, n, 1.5f);
        double expectedSum = 0;
        for (int i = 0; i < n; i++) {
            float shifted = x[i] + mask[i] - 1.5f;
            assertEquals(Float.floatToRawIntBits(VectorRows.exp(shifted)), Float.floatToRawIntBits(e[i]), "lane " + i);
            expectedSum += e[i];
            if (shifted < -87f) {
                assertEquals(0f, e[i], "exp(" + shifted + ")");
            } else {
                double exact = StrictMath.exp(shifted);
                assertTrue(Math.abs(e[i] - exact) <= 2 * Math.ulp((float) exact), "exp(" + shifted + ") = " + e[i] + ", exactly " + exact);
            }
        }
        assertEquals(0f, e[3], "a masked score");
        assertEquals(expectedSum, sum, 1e-6 * expectedSum); // the lanes sum a block in fp32
    }

    @Test
    void sigmoidAndSwiGluProductAreTheScalarFormulaInEveryLane() {
        SplittableRandom random = new SplittableRandom(6);
        int n = 1000 + 9;
        float[] a = new float[n];
        float[] u = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (random.nextDouble() * 60 - 30);
            u[i] = (float) (random.nextDouble() - 0.5);
        }
        float[] s = new float[n];
        float[] h = new float[n];
        VectorRows.sigmoid(a, s, n);
        VectorRows.siluTimes(a, u, h, n);
        for (int i = 0; i < n; i++) {
            float expected = 1f / (1f + VectorRows.exp(-a[i]));
            assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(s[i]), "sigmoid lane " + i);
            assertEquals(Float.floatToRawIntBits((a[i] * expected) * u[i]), Float.floatToRawIntBits(h[i]), "product lane " + i);
            assertEquals(1 / (1 + StrictMath.exp(-a[i])), s[i], 3e-7, "sigmoid(" + a[i] + ")");
        }
    }

    @Test
    void maxScaleAndSoftmaxGradient() {
        float[] x = new float[37];
        float[] p = new float[37];
        for (int i = 0; i < x.length; i++) {
            x[i] = (i * 7919 % 101) / 10f;
            p[i] = i / 37f;
        }
        float expectedMax = 0;
        for (float v : x) {
            expectedMax = Math.max(expectedMax, v);
        }
        assertEquals(expectedMax, VectorRows.max(x, 0, null, 0, x.length));
        float[] dp = x.clone();
        VectorRows.softmaxGradient(dp, p, 0, dp.length, 0.25f);
        float[] scaled = x.clone();
        VectorRows.scale(scaled, 0, scaled.length, 0.5f);
        for (int i = 0; i < x.length; i++) {
            assertEquals(p[i] * (x[i] - 0.25f), dp[i]);
            assertEquals(x[i] * 0.5f, scaled[i]);
        }
    }
}
