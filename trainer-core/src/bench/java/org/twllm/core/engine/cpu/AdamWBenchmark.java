package org.twllm.core.engine.cpu;

import java.util.Locale;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.twllm.core.engine.AdamWSettings;
import org.twllm.core.engine.DecayMask;
import org.twllm.core.engine.HostBuffer;

/**
 * AdamW step time: twllm's fused pass ({@link CpuAdamW}: heap copies of each chunk) against the same update written
 * as ND4J in-place array ops into preallocated scratch buffers (the allocation-free ND4J alternative), on the
 * same data. Prints ms per step and GB/s of optimizer memory traffic, and checks both give the same parameters.
 * {@code scripts/bench/adamw.sh [elements] [steps]}.
 */
public final class AdamWBenchmark {
    private AdamWBenchmark() {
    }

    public static void main(String[] args) {
        long n = args.length > 0 ? Long.parseLong(args[0]) : 16L << 20;
        int steps = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        double lr = 1e-3;
        double b1 = 0.9;
        double b2 = 0.95;
        double eps = 1e-8;
        double wd = 0.1;
        INDArray grads = Nd4j.rand(DataType.FLOAT, n).subi(0.5);
        INDArray opsParams = Nd4j.rand(DataType.FLOAT, n).subi(0.5);
        HostBuffer fusedParams = copy(opsParams);
        HostBuffer fusedGrads = copy(grads);

        CpuAdamW fused = new CpuAdamW(new AdamWSettings(b1, b2, eps, wd), 0, n, DecayMask.all(n));
        INDArray m = Nd4j.zeros(DataType.FLOAT, n);
        INDArray v = Nd4j.zeros(DataType.FLOAT, n);
        INDArray scratch = Nd4j.zeros(DataType.FLOAT, n);

        double fusedMs = 0;
        double opsMs = 0;
        for (int t = 1; t <= steps; t++) {
            long s0 = System.nanoTime();
            fused.step(fusedParams, fusedGrads, lr, 1.0, CpuAdamW.UpdatedChunk.NONE);
            long s1 = System.nanoTime();
            // p *= 1 - lr*wd; m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; p -= lr/bc1 * m / (sqrt(v)/sqrt(bc2) + eps)
            opsParams.muli(1 - lr * wd);
            m.muli(b1);
            Nd4j.getBlasWrapper().level1().axpy(n, 1 - b1, grads, m);
            v.muli(b2);
            scratch.assign(grads).muli(grads);
            Nd4j.getBlasWrapper().level1().axpy(n, 1 - b2, scratch, v);
            Transforms.sqrt(scratch.assign(v), false).divi(Math.sqrt(1 - Math.pow(b2, t))).addi(eps);
            scratch.rdivi(m).muli(-lr / (1 - Math.pow(b1, t)));
            opsParams.addi(scratch);
            long s2 = System.nanoTime();
            if (t > 2) { // the first steps warm up the JIT and ND4J
                fusedMs += (s1 - s0) / 1e6;
                opsMs += (s2 - s1) / 1e6;
            }
        }
        int timed = steps - 2;
        double bytes = 7.0 * 4 * n; // read p, g, m, v; write p, m, v
        double maxDiff = 0;
        for (long o = 0; o < n; o += HostBuffer.CHUNK) {
            int len = (int) Math.min(HostBuffer.CHUNK, n - o);
            java.nio.FloatBuffer fusedChunk = fusedParams.floats(o, len);
            float[] opsChunk = opsParams.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(o, o + len)).toFloatVector();
            for (int i = 0; i < len; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(fusedChunk.get(i) - opsChunk[i]));
            }
        }
        System.out.printf(Locale.ROOT, "AdamW over %,d elements, %d timed steps, %d threads%n", n, timed,
                Runtime.getRuntime().availableProcessors());
        System.out.printf(Locale.ROOT, "fused pass (CpuAdamW):    %8.2f ms/step  %6.2f GB/s%n", fusedMs / timed,
                bytes / (fusedMs / timed / 1e3) / 1e9);
        System.out.printf(Locale.ROOT, "ND4J in-place ops:        %8.2f ms/step  %6.2f GB/s%n", opsMs / timed,
                bytes / (opsMs / timed / 1e3) / 1e9);
        System.out.printf(Locale.ROOT, "fused / ops time: %.2f; max |param difference| %.2e%n", fusedMs / opsMs, maxDiff);
    }

    /** A host buffer holding the values of {@code a} (1-D fp32). */
    private static HostBuffer copy(INDArray a) {
        HostBuffer b = HostBuffer.allocate(a.length(), HostBuffer.Element.F32);
        for (long o = 0; o < a.length(); o += HostBuffer.CHUNK) {
            int len = (int) Math.min(HostBuffer.CHUNK, a.length() - o);
            b.floats(o, len).put(a.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(o, o + len)).toFloatVector());
        }
        return b;
    }
}
