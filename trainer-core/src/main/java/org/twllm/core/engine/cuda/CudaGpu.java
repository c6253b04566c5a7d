package org.twllm.core.engine.cuda;

import java.nio.ByteBuffer;
import java.util.List;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.SizeTPointer;
import org.bytedeco.cuda.cublas.cublasContext;
import org.bytedeco.cuda.cudart.CUfunc_st;
import org.bytedeco.cuda.cudart.CUmod_st;
import org.bytedeco.cuda.cudart.cudaDeviceProp;
import org.bytedeco.cuda.global.cublas;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.cuda.global.nvrtc;
import org.twllm.core.engine.HostBuffer;
import org.twllm.errors.TwllmException;

/**
 * One NVIDIA GPU through the CUDA 13 JavaCPP presets (JNI wrappers only; the CUDA libraries are the
 * machine's): cudaMalloc memory (never managed memory), a compute stream that every operation of
 * {@link Gpu} is issued on, a copy stream for transfers that overlap it, the kernel program compiled
 * with NVRTC for the device's own capability and loaded with the driver API, and a cuBLAS handle on the
 * compute stream. Confined to the thread that opened it.
 */
public final class CudaGpu implements Gpu {
    private static final int THREADS = 256;

    private final DeviceInfo info;
    private final CudaStream compute;
    private final CudaStream copies;
    private final cublasContext blas = new cublasContext();
    private final CUmod_st module = new CUmod_st();
    private final CUfunc_st[] functions;
    private final LongPointer argValues = new LongPointer(KernelArgs.MAX);
    private final LongPointer argPointers = new LongPointer(KernelArgs.MAX);
    private final FloatPointer alpha = new FloatPointer(1);
    private final FloatPointer beta = new FloatPointer(1);
    private final DevicePointer pa = new DevicePointer();
    private final DevicePointer pb = new DevicePointer();
    private final DevicePointer pc = new DevicePointer();
    private long allocated;
    private long peakAllocated;

    private CudaGpu(int device) {
        int[] count = new int[1];
        CudaStatus.runtime(cudart.cudaGetDeviceCount(count), "find a GPU");
        if (device >= count[0]) {
            throw new TwllmException("GPU " + device + " does not exist: this machine has " + count[0] + " GPU(s)");
        }
        CudaStatus.runtime(cudart.cudaSetDevice(device), "select GPU " + device);
        CudaStatus.runtime(cudart.cudaFree(null), "initialise GPU " + device);
        cudaDeviceProp prop = new cudaDeviceProp();
        CudaStatus.runtime(cudart.cudaGetDeviceProperties(prop, device), "read the GPU's properties");
        int[] driver = new int[1];
        int[] runtime = new int[1];
        CudaStatus.runtime(cudart.cudaDriverGetVersion(driver), "read the driver version");
        CudaStatus.runtime(cudart.cudaRuntimeGetVersion(runtime), "read the runtime version");
        this.info = new DeviceInfo(prop.name().getString(), prop.major(), prop.minor(), prop.totalGlobalMem(),
                prop.multiProcessorCount(), driver[0], runtime[0], "NVRTC " + NvrtcCompiler.version());
        this.compute = new CudaStream();
        this.copies = new CudaStream();
        CudaStatus.cublas(cublas.cublasCreate_v2(blas), "start");
        CudaStatus.cublas(cublas.cublasSetStream_v2(blas, compute.handle()), "use the compute stream");
        byte[] cubin = NvrtcCompiler.cubin(info.architecture());
        CudaStatus.driver(cudart.cuModuleLoadData(module, new BytePointer(cubin)), "load the compiled kernels");
        List<Kernel.Entry> entries = Kernel.entries();
        this.functions = new CUfunc_st[entries.size()];
        for (Kernel.Entry e : entries) {
            functions[e.index()] = new CUfunc_st();
            CudaStatus.driver(cudart.cuModuleGetFunction(functions[e.index()], module, e.name()), "find the kernel " + e.name());
        }
        for (int i = 0; i < KernelArgs.MAX; i++) {
            argPointers.put(i, argValues.address() + 8L * i);
        }
    }

    /**
     * Opens GPU {@code device}; one clear sentence when the CUDA 13 libraries or the GPU are missing.
     */
    public static CudaGpu open(int device) {
        loadLibraries();
        return new CudaGpu(device);
    }

    /** Loads the JNI wrappers and, through them, the machine's CUDA 13 libraries; one clear sentence when they are missing. */
    static void loadLibraries() {
        try {
            Loader.load(cudart.class);
            Loader.load(cublas.class);
            Loader.load(nvrtc.class);
        } catch (UnsatisfiedLinkError e) {
            Throwable root = e;
            while (root.getCause() != null) {
                root = root.getCause();
            }
            throw new TwllmException("the CUDA 13 libraries (libcudart.so.13, libcublas.so.13, libnvrtc.so.13) and the NVIDIA driver"
                    + " (libcuda.so.1) could not be loaded; install CUDA 13 or put its lib64 folder on LD_LIBRARY_PATH ("
                    + root.getMessage() + ")", e);
        }
    }

    @Override
    public DeviceInfo info() {
        return info;
    }

    @Override
    public int threadsPerBlock() {
        return THREADS;
    }

    @Override
    public int maxBlocks() {
        return info.multiprocessors() * 16;
    }

    /** The stream every Gpu operation runs on. */
    public CudaStream computeStream() {
        return compute;
    }

    /** The stream for transfers that overlap computation. */
    public CudaStream copyStream() {
        return copies;
    }

    public CudaEvent newEvent() {
        return new CudaEvent();
    }

    public PinnedHostBuffer newPinnedBuffer(long bytes) {
        return new PinnedHostBuffer(bytes);
    }

    /** Starts copying {@code bytes} device bytes into pinned host memory on {@code stream}. */
    public void downloadAsync(long src, PinnedHostBuffer dst, long dstOffset, long bytes, CudaStream stream) {
        pc.at(dst.address() + dstOffset);
        CudaStatus.runtime(cudart.cudaMemcpyAsync(pc, pa.at(src), bytes, cudart.cudaMemcpyDeviceToHost, stream.handle()),
                "start a copy to the host");
    }

    /** Starts copying pinned host bytes to the device on {@code stream}. */
    public void uploadAsync(PinnedHostBuffer src, long srcOffset, long dst, long bytes, CudaStream stream) {
        pc.at(src.address() + srcOffset);
        CudaStatus.runtime(cudart.cudaMemcpyAsync(pa.at(dst), pc, bytes, cudart.cudaMemcpyHostToDevice, stream.handle()),
                "start a copy to the GPU");
    }

    /** Bytes this Gpu has allocated now and at most so far (its own buffers, not cuBLAS's workspace). */
    public long allocatedBytes() {
        return allocated;
    }

    public long peakAllocatedBytes() {
        return peakAllocated;
    }

    /** {free, total} device memory as the driver sees it (everything on the GPU, every process). */
    public long[] memoryInfo() {
        SizeTPointer free = new SizeTPointer(1);
        SizeTPointer total = new SizeTPointer(1);
        CudaStatus.runtime(cudart.cudaMemGetInfo(free, total), "read the GPU's memory use");
        return new long[] {free.get(), total.get()};
    }

    @Override
    public DeviceBuffer allocate(long bytes) {
        Pointer p = new Pointer();
        CudaStatus.runtime(cudart.cudaMalloc(p, Math.max(bytes, 1)), "allocate " + bytes + " bytes of GPU memory");
        allocated += bytes;
        peakAllocated = Math.max(peakAllocated, allocated);
        return new DeviceBuffer(this, p.address(), bytes);
    }

    @Override
    public void free(long address, long bytes) {
        CudaStatus.runtime(cudart.cudaFree(pa.at(address)), "free GPU memory");
        allocated -= bytes;
    }

    @Override
    public void fill(long address, int value, long bytes) {
        CudaStatus.runtime(cudart.cudaMemsetAsync(pa.at(address), value, bytes, compute.handle()), "set GPU memory");
    }

    @Override
    public void upload(long address, ByteBuffer src) {
        requireDirect(src);
        Pointer host = new Pointer(src);
        CudaStatus.runtime(cudart.cudaMemcpyAsync(pa.at(address), host, src.remaining(), cudart.cudaMemcpyHostToDevice,
                compute.handle()), "copy to the GPU");
        compute.synchronize();
    }

    @Override
    public void download(long address, ByteBuffer dst) {
        requireDirect(dst);
        Pointer host = new Pointer(dst);
        CudaStatus.runtime(cudart.cudaMemcpyAsync(host, pa.at(address), dst.remaining(), cudart.cudaMemcpyDeviceToHost,
                compute.handle()), "copy from the GPU");
        compute.synchronize();
        dst.position(dst.limit());
    }

    @Override
    public void download(long address, HostBuffer dst, long at, long count) {
        long bytes = count * dst.element().bytes();
        if (bytes > 0) {
            pc.at(dst.address() + at * dst.element().bytes());
            CudaStatus.runtime(cudart.cudaMemcpyAsync(pc, pa.at(address), bytes, cudart.cudaMemcpyDeviceToHost, compute.handle()),
                    "copy from the GPU");
            compute.synchronize();
        }
    }

    @Override
    public void upload(HostBuffer src, long at, long count, long address) {
        long bytes = count * src.element().bytes();
        if (bytes > 0) {
            pc.at(src.address() + at * src.element().bytes());
            CudaStatus.runtime(cudart.cudaMemcpyAsync(pa.at(address), pc, bytes, cudart.cudaMemcpyHostToDevice, compute.handle()),
                    "copy to the GPU");
            compute.synchronize();
        }
    }

    @Override
    public void copy(long dst, long src, long bytes) {
        CudaStatus.runtime(cudart.cudaMemcpyAsync(pa.at(dst), pb.at(src), bytes, cudart.cudaMemcpyDeviceToDevice, compute.handle()),
                "copy within the GPU");
    }

    @Override
    public void launch(Kernel.Entry entry, int gridX, int gridY, int threads, KernelArgs args) {
        args.requireMatches(entry.kernel());
        for (int i = 0; i < args.count(); i++) {
            argValues.put(i, args.bits(i));
        }
        CudaStatus.driver(cudart.cuLaunchKernel(functions[entry.index()], gridX, gridY, 1, threads, 1, 1, 0, compute.handle(),
                argPointers, null), "launch " + entry.name());
    }

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k, float alphaValue, long a, long lda, long strideA,
            long b, long ldb, long strideB, float betaValue, long c, long ldc, long strideC, int batch, StorageType abType,
            StorageType cType) {
        // Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T: swap the operands, keep the flags.
        alpha.put(0, alphaValue);
        beta.put(0, betaValue);
        int opA = transA ? cublas.CUBLAS_OP_T : cublas.CUBLAS_OP_N;
        int opB = transB ? cublas.CUBLAS_OP_T : cublas.CUBLAS_OP_N;
        int ab = dataType(abType);
        int ct = dataType(cType);
        int computeType = abType == StorageType.BF16 ? cublas.CUBLAS_COMPUTE_32F : cublas.CUBLAS_COMPUTE_32F_PEDANTIC;
        int status;
        if (batch == 1) {
            status = cublas.cublasGemmEx(blas, opB, opA, n, m, k, alpha, pb.at(b), ab, (int) ldb, pa.at(a), ab, (int) lda, beta,
                    pc.at(c), ct, (int) ldc, computeType, cublas.CUBLAS_GEMM_DEFAULT);
        } else {
            status = cublas.cublasGemmStridedBatchedEx(blas, opB, opA, n, m, k, alpha, pb.at(b), ab, (int) ldb, strideB,
                    pa.at(a), ab, (int) lda, strideA, beta, pc.at(c), ct, (int) ldc, strideC, batch, computeType,
                    cublas.CUBLAS_GEMM_DEFAULT);
        }
        CudaStatus.cublas(status, "multiply " + m + "x" + k + " by " + k + "x" + n + " matrices");
    }

    private static int dataType(StorageType t) {
        return t == StorageType.BF16 ? cudart.CUDA_R_16BF : cudart.CUDA_R_32F;
    }

    @Override
    public void synchronize() {
        compute.synchronize();
    }

    @Override
    public void close() {
        cudart.cudaDeviceSynchronize();
        cublas.cublasDestroy_v2(blas);
        cudart.cuModuleUnload(module);
        compute.close();
        copies.close();
    }

    private static void requireDirect(ByteBuffer b) {
        if (!b.isDirect()) {
            throw new IllegalArgumentException("GPU copies need a direct buffer");
        }
    }
}
