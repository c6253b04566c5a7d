package org.twllm.core.engine.cpu;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Measures this machine's attainable fp32 matrix-multiply rate, the denominator of MFU on a CPU (which
 * has no datasheet peak the way a GPU does): a 1024^3 GEMM into a preallocated output, repeated for
 * about {@code seconds}, after one warm-up product. The result is what BLAS reaches on this machine
 * with the threads ND4J uses, so MFU says how much of the reachable GEMM speed training gets.
 */
final class PeakFlopsProbe {
    private static final int N = 1024;

    private PeakFlopsProbe() {
    }

    /** FLOP/s of fp32 GEMM measured over about {@code seconds}. */
    static double measure(double seconds) {
        INDArray a = Nd4j.rand(DataType.FLOAT, N, N);
        INDArray b = Nd4j.rand(DataType.FLOAT, N, N);
        INDArray c = Nd4j.createUninitialized(DataType.FLOAT, N, N);
        Nd4j.gemm(a, b, c, false, false, 1.0, 0.0);
        long budget = (long) (seconds * 1e9);
        long start = System.nanoTime();
        long elapsed;
        int reps = 0;
        do {
            Nd4j.gemm(a, b, c, false, false, 1.0, 0.0);
            reps++;
            elapsed = System.nanoTime() - start;
        } while (elapsed < budget);
        double flops = 2.0 * N * N * N * reps;
        a.close();
        b.close();
        c.close();
        return flops / (elapsed / 1e9);
    }
}
