package org.twllm.core.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.twllm.core.engine.AdamWSettings;
import org.twllm.core.engine.DecayMask;
import org.twllm.core.engine.HostBuffer;

/** The CPU engine's AdamW against hand-computed updates and a scalar reference (PyTorch's formula). */
class CpuAdamWTest {
    private static HostBuffer buffer(float... values) {
        HostBuffer b = HostBuffer.allocate(values.length, HostBuffer.Element.F32);
        b.floats(0, values.length).put(values);
        return b;
    }

    private static double get(HostBuffer b, long i) {
        return b.floats(i, 1).get(0);
    }

    @Test
    void firstUpdateIsLrTimesSignAfterBiasCorrectionWithDecoupledDecayOnlyWhereMasked() {
        // After one step m_hat = g and v_hat = g^2, so the update is lr * g / (|g| + eps).
        float[] p0 = {1.0f, -2.0f, 0.5f, 3.0f};
        float[] g = {0.1f, -4.0f, 2.0f, -0.001f};
        HostBuffer params = buffer(p0.clone());
        HostBuffer grads = buffer(g.clone());
        double lr = 0.01;
        double wd = 0.1;
        double eps = 1e-8;
        // elements 1 and 2 decay (a "matrix"), 0 and 3 do not (a "norm").
        CpuAdamW opt = new CpuAdamW(new AdamWSettings(0.9, 0.95, eps, wd), 0, 4, DecayMask.of(List.of(new long[] {1, 2})));
        opt.step(params, grads, lr, 1.0, CpuAdamW.UpdatedChunk.NONE);
        for (int i = 0; i < 4; i++) {
            double decay = (i == 1 || i == 2) ? 1 - lr * wd : 1;
            double expected = p0[i] * decay - lr * g[i] / (Math.abs(g[i]) + eps);
            assertEquals(expected, get(params, i), 1e-6, "element " + i);
        }
        assertEquals(0.1 * g[1], get(opt.expAvg(), 1), 1e-7);
        assertEquals(0.05 * g[1] * g[1], get(opt.expAvgSq(), 1), 1e-6);
    }

    @Test
    void matchesAScalarReferenceOverSeveralStepsWithClippingAndAnOwnedSubrange() {
        int n = 7;
        long start = 2;
        long end = 6;
        float[] p = {0.3f, -0.7f, 1.1f, 0.05f, -1.3f, 0.8f, 2.0f, };
        HostBuffer params = buffer(p.clone());
        // the optimizer sees the owned partition [start, end) only: master weights and gradients of its length
        HostBuffer owned = params.slice(start, end - start);
        CpuAdamW opt = new CpuAdamW(new AdamWSettings(0.9, 0.999, 1e-6, 0.05), start, end, DecayMask.of(List.of(new long[] {0, 4})));
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
            List<long[]> updated = new java.util.ArrayList<>();
            try (HostBuffer grads = buffer(java.util.Arrays.copyOfRange(g, (int) start, (int) end))) {
                opt.step(owned, grads, lrs[t - 1], scales[t - 1], (offset, length) -> updated.add(new long[] {offset, length}));
            }
            assertEquals(1, updated.size());
            assertEquals(List.of(0L, end - start), List.of(updated.get(0)[0], updated.get(0)[1]), "the whole partition in one chunk");
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
            assertEquals(expected, get(params, i), 2e-6, "element " + i);
        }
        assertEquals(3, opt.updates());
    }

    @Test
    void chunkedRangesLongerThanOneChunkMatchElementWise() {
        int n = HostBuffer.CHUNK * 2 + 17;
        SplittableRandom random = new SplittableRandom(4);
        float[] before = new float[n];
        float[] g = new float[n];
        for (int i = 0; i < n; i++) {
            before[i] = (float) (random.nextDouble() - 0.5);
            g[i] = (float) (random.nextDouble() - 0.5);
        }
        HostBuffer params = buffer(before.clone());
        HostBuffer grads = buffer(g);
        long half = HostBuffer.CHUNK + 5;
        CpuAdamW opt = new CpuAdamW(new AdamWSettings(0.9, 0.95, 1e-8, 0.1), 0, n, DecayMask.of(List.of(new long[] {0, half})));
        java.util.concurrent.atomic.AtomicLong updated = new java.util.concurrent.atomic.AtomicLong();
        opt.step(params, grads, 1e-3, 1.0, (offset, length) -> updated.addAndGet(length));
        assertEquals(n, updated.get(), "every chunk reported once");
        for (long i : new long[] {0, HostBuffer.CHUNK - 1, HostBuffer.CHUNK, half - 1, half, n - 1}) {
            double gi = g[(int) i];
            double decay = i < half ? 1 - 1e-3 * 0.1 : 1;
            double expected = before[(int) i] * decay - 1e-3 * gi / (Math.abs(gi) + 1e-8);
            assertEquals(expected, get(params, i), 1e-6, "element " + i);
        }
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

    /** The Vector API's eight-at-a-time update gives the scalar loop's bits, including gradients scaled by clipping. */
    @Test
    void vectorUpdateEqualsTheScalarLoopBitForBit() {
        assertTrue(VectorSupport.ENABLED, "the test JVM runs with --add-modules jdk.incubator.vector");
        SplittableRandom random = new SplittableRandom(9);
        int n = 1000 + 5; // a tail the vector groups leave to the scalar loop
        float[][] a = new float[4][n];
        for (float[] row : a) {
            for (int i = 0; i < n; i++) {
                row[i] = (float) (random.nextDouble() - 0.5) * (random.nextInt(4) == 0 ? 1e-6f : 1f);
            }
        }
        for (int i = 0; i < n; i++) {
            a[3][i] = Math.abs(a[3][i]); // second moments are non-negative
        }
        float[][] b = {a[0].clone(), a[1].clone(), a[2].clone(), a[3].clone()};
        CpuAdamW.Coefficients k = new CpuAdamW.Coefficients(0.9, 0.95, 1e-3 / (1 - 0.9 * 0.9), Math.sqrt(1 - 0.95 * 0.95), 1e-8, 0.7);
        CpuAdamW.update(k, 1 - 1e-4, a[0], a[1], a[2], a[3], 3, n);
        CpuAdamW.scalarUpdate(k, 1 - 1e-4, b[0], b[1], b[2], b[3], 3, n);
        for (int t = 0; t < 4; t++) {
            for (int i = 0; i < n; i++) {
                assertEquals(Float.floatToRawIntBits(b[t][i]), Float.floatToRawIntBits(a[t][i]), "array " + t + " element " + i);
            }
        }
    }
}
