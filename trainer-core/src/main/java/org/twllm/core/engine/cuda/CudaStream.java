package org.twllm.core.engine.cuda;

import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.global.cudart;

/** A non-blocking CUDA stream (work on it does not wait for the legacy default stream); close() destroys it. */
public final class CudaStream implements AutoCloseable {
    private final CUstream_st handle = new CUstream_st();
    private boolean destroyed;

    CudaStream() {
        CudaStatus.runtime(cudart.cudaStreamCreateWithFlags(handle, cudart.cudaStreamNonBlocking), "create a stream");
    }

    CUstream_st handle() {
        return handle;
    }

    /** Waits until everything issued on this stream has run. */
    public void synchronize() {
        CudaStatus.runtime(cudart.cudaStreamSynchronize(handle), "finish the work on a stream");
    }

    /** Work issued on this stream after this call waits for {@code event}. */
    public void waitFor(CudaEvent event) {
        CudaStatus.runtime(cudart.cudaStreamWaitEvent(handle, event.handle(), 0), "make a stream wait for an event");
    }

    @Override
    public void close() {
        if (!destroyed) {
            destroyed = true;
            cudart.cudaStreamDestroy(handle);
        }
    }
}
