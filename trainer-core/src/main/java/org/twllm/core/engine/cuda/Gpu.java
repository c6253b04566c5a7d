package org.twllm.core.engine.cuda;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.twllm.core.engine.HostBuffer;

/**
 * The operations the CUDA engine needs from a device, in the order it issues them on one compute stream:
 * memory, copies, kernel launches and GEMMs. {@link CudaGpu} is a real GPU (cudart, the driver API, NVRTC
 * and cuBLAS through the JavaCPP presets); the tests drive the same kernel sources on a host emulation.
 * Not thread-safe: one thread owns a Gpu.
 *
 * <p>GEMMs are row-major: {@code C = alpha * op(A) op(B) + beta * C} with C {@code m x n}, op(A)
 * {@code m x k}, op(B) {@code k x n}, leading dimensions in elements, {@code batch} products whose operands
 * lie {@code stride*} elements apart. A and B share one storage type; C is fp32 or that type; accumulation is
 * fp32 (bf16 tensor cores for bf16, pedantic fp32 without TF32 for fp32).
 */
public interface Gpu extends AutoCloseable {
    DeviceInfo info();

    /** Threads per block for the engine's kernels (a multiple of 32). */
    int threadsPerBlock();

    /** Most blocks a grid-strided kernel is launched with. */
    int maxBlocks();

    /** Device memory of {@code bytes} (never managed memory); its close() frees it. */
    DeviceBuffer allocate(long bytes);

    /** Frees what {@link #allocate} returned ({@code bytes} long); only {@link DeviceBuffer#close()} calls it. */
    void free(long address, long bytes);

    /** Sets {@code bytes} bytes at {@code address} to {@code value} (0 to zero a buffer). */
    void fill(long address, int value, long bytes);

    /** Copies the remaining bytes of the direct buffer {@code src} to {@code address}, finished on return. */
    void upload(long address, ByteBuffer src);

    /** Copies {@code dst.remaining()} bytes from {@code address} into the direct buffer {@code dst}, finished on return. */
    void download(long address, ByteBuffer dst);

    /**
     * Copies {@code count} elements at device {@code address} into host elements {@code [at, at + count)} of
     * {@code dst}, finished on return. This default goes through a direct staging buffer, chunk by chunk; a real
     * GPU copies straight into the host memory.
     */
    default void download(long address, HostBuffer dst, long at, long count) {
        int bytes = dst.element().bytes();
        ByteBuffer staging = ByteBuffer.allocateDirect((int) Math.min(count, HostBuffer.CHUNK) * bytes).order(ByteOrder.nativeOrder());
        for (long done = 0; done < count; done += HostBuffer.CHUNK) {
            int n = (int) Math.min(HostBuffer.CHUNK, count - done);
            staging.clear().limit(n * bytes);
            download(address + done * bytes, staging);
            staging.flip();
            if (dst.element() == HostBuffer.Element.F32) {
                dst.floats(at + done, n).put(staging.asFloatBuffer());
            } else {
                dst.shorts(at + done, n).put(staging.asShortBuffer());
            }
        }
    }

    /** Copies host elements {@code [at, at + count)} of {@code src} to device {@code address}, finished on return. */
    default void upload(HostBuffer src, long at, long count, long address) {
        int bytes = src.element().bytes();
        ByteBuffer staging = ByteBuffer.allocateDirect((int) Math.min(count, HostBuffer.CHUNK) * bytes).order(ByteOrder.nativeOrder());
        for (long done = 0; done < count; done += HostBuffer.CHUNK) {
            int n = (int) Math.min(HostBuffer.CHUNK, count - done);
            staging.clear();
            if (src.element() == HostBuffer.Element.F32) {
                staging.asFloatBuffer().put(src.floats(at + done, n));
            } else {
                staging.asShortBuffer().put(src.shorts(at + done, n));
            }
            staging.limit(n * bytes);
            upload(address + done * bytes, staging);
        }
    }

    /** Device-to-device copy. */
    void copy(long dst, long src, long bytes);

    /** Launches {@code entry} on a {@code gridX x gridY} grid of 1-D blocks of {@code threads}. */
    void launch(Kernel.Entry entry, int gridX, int gridY, int threads, KernelArgs args);

    /** A batched row-major GEMM (see the class comment). */
    void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
            long a, long lda, long strideA, long b, long ldb, long strideB, float beta,
            long c, long ldc, long strideC, int batch, StorageType abType, StorageType cType);

    /** Waits until everything issued so far has run; reports an asynchronous failure. */
    void synchronize();

    @Override
    void close();
}
