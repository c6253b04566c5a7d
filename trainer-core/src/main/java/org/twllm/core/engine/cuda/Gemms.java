package org.twllm.core.engine.cuda;

/**
 * The three products of a bias-free linear layer {@code y = x W^T} (W is [out, in], HF's layout) as
 * row-major GEMMs on T inputs with fp32 accumulation, never a materialised transpose.
 */
final class Gemms {
    private final Gpu gpu;
    private final StorageType type;

    Gemms(Gpu gpu, StorageType type) {
        this.gpu = gpu;
        this.type = type;
    }

    /** y [rows, out] (of {@code yType}) = x [rows, in] W^T, plus beta * y. */
    void forward(long x, long w, long y, int rows, int in, int out, StorageType yType, float beta) {
        gpu.gemm(false, true, rows, out, in, 1f, x, in, 0, w, in, 0, beta, y, out, 0, 1, type, yType);
    }

    /** dW fp32 [out, in] += dy^T [out, rows] x [rows, in]. */
    void weightGrad(long dy, long x, long dw, int rows, int in, int out) {
        gpu.gemm(true, false, out, in, rows, 1f, dy, out, 0, x, in, 0, 1f, dw, in, 0, 1, type, StorageType.F32);
    }

    /** dx [rows, in] (of {@code dxType}) = dy [rows, out] W [out, in], plus beta * dx. */
    void inputGrad(long dy, long w, long dx, int rows, int in, int out, StorageType dxType, float beta) {
        gpu.gemm(false, false, rows, in, out, 1f, dy, out, 0, w, in, 0, beta, dx, in, 0, 1, type, dxType);
    }
}
