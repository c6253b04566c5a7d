package org.twllm.core.engine.cuda;

/**
 * The device's attainable dense matrix-multiply rate: square bf16 GEMMs with fp32 accumulation (what every
 * linear layer of a bf16 run is) repeated for about the given time, FLOPs over wall time. MFU's denominator
 * when {@code device.peak_flops} is not set.
 */
final class GemmProbe {
    private GemmProbe() {
    }

    /** FLOP/s of {@code size x size x size} bf16 GEMMs run for about {@code seconds} (after one untimed warm-up). */
    static double measure(Gpu gpu, int size, double seconds) {
        long elements = (long) size * size;
        try (BufferGroup buffers = new BufferGroup(gpu)) {
            long a = buffers.of(StorageType.BF16, elements).address();
            long b = buffers.of(StorageType.BF16, elements).address();
            long c = buffers.f32(elements).address();
            gpu.fill(a, 0, 2 * elements);
            gpu.fill(b, 0, 2 * elements);
            multiply(gpu, size, a, b, c);
            gpu.synchronize();
            long start = System.nanoTime();
            long products = 0;
            double elapsed;
            do {
                for (int i = 0; i < 8; i++) {
                    multiply(gpu, size, a, b, c);
                }
                products += 8;
                gpu.synchronize();
                elapsed = (System.nanoTime() - start) / 1e9;
            } while (elapsed < seconds);
            return products * 2.0 * size * size * size / elapsed;
        }
    }

    private static void multiply(Gpu gpu, int size, long a, long b, long c) {
        gpu.gemm(false, true, size, size, size, 1f, a, size, 0, b, size, 0, 0f, c, size, 0, 1, StorageType.BF16, StorageType.F32);
    }
}
