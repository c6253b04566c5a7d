package org.twllm.core.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.twllm.core.engine.cpu.FlatFloats;

class AdamWTest {

    @Test
    void firstUpdateIsLrTimesSignAfterBiasCorrectionWithDecoupledDecayOnlyWhereMasked() {
        // After one step m_hat = g and v_hat = g^2, so the update is lr * g / (|g| + eps).
        float[] p0 = {1.0f, -2.0f, 0.5f, 3.0f};
        float[] g = {0.1f, -4.0f, 2.0f, -0.001f};
        INDArray params = Nd4j.createFromArray(p0.clone());
        INDArray grads = Nd4j.createFromArray(g.clone());
        double lr = 0.01;
        double wd = 0.1;
        double eps = 1e-8;
        // elements 1 and 2 decay (a "matrix"), 0 and 3 do not (a "norm").
        AdamW opt = new AdamW(new AdamW.Settings(0.9, 0.95, eps, wd), 0, 4, DecayMask.of(List.of(new long[] {1, 2})));
        opt.step(params, grads, lr, 1.0);
        for (int i = 0; i < 4; i++) {
            double decay = (i == 1 || i == 2) ? 1 - lr * wd : 1;
            double expected = p0[i] * decay - lr * g[i] / (Math.abs(g[i]) + eps);
            assertEquals(expected, params.getDouble(i), 1e-6, "element " + i);
        }
        assertEquals(0.1 * g[1], opt.expAvg().getDouble(1), 1e-7);
        assertEquals(0.05 * g[1] * g[1], opt.expAvgSq().getDouble(1), 1e-6);
    }

    @Test
    void matchesAScalarReferenceOverSeveralStepsWithClippingAndAnOwnedSubrange() {
        int n = 7;
        long start = 2;
        long end = 6;
        float[] p = {0.3f, -0.7f, 1.1f, 0.05f, -1.3f, 0.8f, 2.0f, };
        INDArray params = Nd4j.createFromArray(p.clone());
        AdamW opt = new AdamW(new AdamW.Settings(0.9, 0.999, 1e-6, 0.05), start, end, DecayMask.of(List.of(new long[] {0, 4})));
        double[] m = new double[n];
        double[] v = new double[n];
        double[] ref = new double[n];
        for (int i = 0; i < n; i++) {
            ref[i] = p[i];
        }
        double[] lrs = {1e-2, 5e-3, 2e-3};
        double[] scales = {1.0, 0.5, 0.25};
        for (int t = 1; t <= 3; t++) {
            float[] g = new float[n];
            for (int i = 0; i < n; i++) {
                g[i] = (float) Math.sin(1.7 * i + t);
            }
            opt.step(params, Nd4j.createFromArray(g), lrs[t - 1], scales[t - 1]);
            for (int i = (int) start; i < end; i++) {
                double gi = g[i] * scales[t - 1];
                boolean decays = i < 4;
                if (decays) {
                    ref[i] *= 1 - lrs[t - 1] * 0.05;
                }
                m[i] = 0.9 * m[i] + 0.1 * gi;
                v[i] = 0.999 * v[i] + 0.001 * gi * gi;
                double mHat = m[i] / (1 - Math.pow(0.9, t));
                double vHat = v[i] / (1 - Math.pow(0.999, t));
                ref[i] -= lrs[t - 1] * mHat / (Math.sqrt(vHat) + 1e-6);
            }
        }
        for (int i = 0; i < n; i++) {
            double expected = (i < start || i >= end) ? p[i] : ref[i];
            assertEquals(expected, params.getDouble(i), 2e-6, "element " + i);
        }
        assertEquals(3, opt.updates());
    }

    @Test
    void chunkedRangesLongerThanOneChunkMatchElementWise() {
        int n = FlatFloats.CHUNK * 2 + 17;
        INDArray params = Nd4j.rand(DataType.FLOAT, n).subi(0.5);
        INDArray grads = Nd4j.rand(DataType.FLOAT, n).subi(0.5);
        INDArray before = params.dup();
        long half = FlatFloats.CHUNK + 5;
        AdamW opt = new AdamW(new AdamW.Settings(0.9, 0.95, 1e-8, 0.1), 0, n, DecayMask.of(List.of(new long[] {0, half})));
        opt.step(params, grads, 1e-3, 1.0);
        for (long i : new long[] {0, FlatFloats.CHUNK - 1, FlatFloats.CHUNK, half - 1, half, n - 1}) {
            double gi = grads.getDouble(i);
            double decay = i < half ? 1 - 1e-3 * 0.1 : 1;
            double expected = before.getDouble(i) * decay - 1e-3 * gi / (Math.abs(gi) + 1e-8);
            assertEquals(expected, params.getDouble(i), 1e-6, "element " + i);
        }
    }

    @Test
    void clippingScalesToMaxNormAndIsOffAtZero() {
        INDArray grads = Nd4j.createFromArray(3.0f, 4.0f, 0f, 12.0f);
        assertEquals(169.0, GradientClipping.ownedSumOfSquares(grads, new SingleRank(4)), 1e-6);
        double norm = 13.0;
        assertEquals(1.0 / (13.0 + 1e-6), GradientClipping.clipFactor(norm, 1.0), 1e-12);
        assertEquals(1.0, GradientClipping.clipFactor(norm, 0.0));
        assertEquals(1.0, GradientClipping.clipFactor(norm, 100.0));
    }

    @Test
    void decayMaskSplitsRangesAtTensorBoundaries() {
        DecayMask mask = DecayMask.of(List.of(new long[] {10, 5}, new long[] {2, 3}, new long[] {15, 5}));
        StringBuilder sb = new StringBuilder();
        mask.forEachSegment(0, 25, (s, e, d) -> sb.append(s).append('-').append(e).append(d ? "d " : " "));
        assertEquals("0-2 2-5d 5-10 10-20d 20-25 ", sb.toString());
        StringBuilder sub = new StringBuilder();
        mask.forEachSegment(3, 12, (s, e, d) -> sub.append(s).append('-').append(e).append(d ? "d " : " "));
        assertEquals("3-5d 5-10 10-12d ", sub.toString());
    }
}
