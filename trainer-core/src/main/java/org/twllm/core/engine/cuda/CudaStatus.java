package org.twllm.core.engine.cuda;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.cuda.global.cublas;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.cuda.global.nvrtc;
import org.twllm.errors.TwllmException;

/**
 * Turns a status code of the CUDA runtime, the driver API, cuBLAS or NVRTC into one clear sentence
 * ({@link TwllmException}) naming what was being done and the library's own description of the error.
 */
final class CudaStatus {
    private CudaStatus() {
    }

    /** A CUDA runtime call ({@code cudaError_t}). */
    static void runtime(int status, String action) {
        if (status != cudart.cudaSuccess) {
            BytePointer text = cudart.cudaGetErrorString(status);
            throw new TwllmException("CUDA could not " + action + ": " + describe(text) + " (error " + status + ")");
        }
    }

    /** A driver API call ({@code CUresult}). */
    static void driver(int status, String action) {
        if (status != cudart.CUDA_SUCCESS) {
            PointerPointer<BytePointer> text = new PointerPointer<>(1);
            String description = cudart.cuGetErrorString(status, text) == cudart.CUDA_SUCCESS && text.get(0) != null
                    ? text.get(BytePointer.class, 0).getString() : "unknown error";
            throw new TwllmException("the CUDA driver could not " + action + ": " + description + " (error " + status + ")");
        }
    }

    /** A cuBLAS call ({@code cublasStatus_t}). */
    static void cublas(int status, String action) {
        if (status != cublas.CUBLAS_STATUS_SUCCESS) {
            throw new TwllmException("cuBLAS could not " + action + ": " + describe(cublas.cublasGetStatusString(status))
                    + " (status " + status + ")");
        }
    }

    /** An NVRTC call ({@code nvrtcResult}); {@code log} (may be empty) follows the sentence. */
    static void nvrtc(int status, String action, String log) {
        if (status != nvrtc.NVRTC_SUCCESS) {
            throw new TwllmException("NVRTC could not " + action + ": " + describe(nvrtc.nvrtcGetErrorString(status))
                    + (log.isBlank() ? "" : "\n" + log.strip()));
        }
    }

    private static String describe(BytePointer text) {
        return text == null || text.isNull() ? "unknown error" : text.getString();
    }
}
