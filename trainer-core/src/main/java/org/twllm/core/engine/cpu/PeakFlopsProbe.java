package org.twllm.core.engine.cpu;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Measures this machine's attainable fp32 matrix-multiply rate, the denominator of MFU on a CPU (which has no
 * datasheet peak the way a GPU does). One size alone moves from run to run (its blocking may suit the caches or
 * not, a neighbour may take a core for a moment), so square GEMMs of {@link #SIZES} each get a share of the time
 * into a preallocated output, every product timed alone after one warm-up, and the fastest product of any size is
 * the peak: what this BLAS reaches with the threads ND4J uses.
 */
final class PeakFlopsProbe {
    /** Square GEMM sizes tried: from one that fits the caches to ones that stream from memory. */
    static final int[] SIZES = {512, 1024, 2048};
    /** Timed products per size at least, whatever the time budget. */
    private static final int MIN_REPS = 2;

    private PeakFlopsProbe() {
    }

    /** The best FLOP/s of fp32 GEMM over {@link #SIZES}, measured for about {@code seconds} (more on a slow machine). */
    static double measure(double seconds) {
        double best = 0;
        for (int n : SIZES) {
            best = Math.max(best, measure(n, seconds / SIZES.length));
        }
        return best;
    }

    /** The fastest of the n^3 products that fit in {@code seconds} (at least {@link #MIN_REPS}), in FLOP/s. */
    static double measure(int n, double seconds) {
        INDArray a = Nd4j.rand(DataType.FLOAT, n, n);
        INDArray b = Nd4j.rand(DataType.FLOAT, n, n);
        INDArray c = Nd4j.createUninitialized(DataType.FLOAT, n, n);
        try {
            Nd4j.gemm(a, b, c, false, false, 1.0, 0.0);
            long budget = (long) (seconds * 1e9);
            long start = System.nanoTime();
            long fastest = Long.MAX_VALUE;
            for (int reps = 0; reps < MIN_REPS || System.nanoTime() - start < budget; reps++) {
                long t0 = System.nanoTime();
                Nd4j.gemm(a, b, c, false, false, 1.0, 0.0);
                fastest = Math.min(fastest, System.nanoTime() - t0);
            }
            return 2.0 * n * n * n / (Math.max(1, fastest) / 1e9);
        } finally {
            a.close();
            b.close();
            c.close();
        }
    }
}
