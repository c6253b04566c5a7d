package org.twllm.core.engine.cuda;

import org.bytedeco.cuda.cudart.CUevent_st;
import org.bytedeco.cuda.global.cudart;

/** A CUDA event: a point in a stream another stream can wait for, or a timestamp; close() destroys it. */
public final class CudaEvent implements AutoCloseable {
    private final CUevent_st handle = new CUevent_st();
    private boolean destroyed;

    CudaEvent() {
        CudaStatus.runtime(cudart.cudaEventCreate(handle), "create an event");
    }

    CUevent_st handle() {
        return handle;
    }

    /** Marks the current end of {@code stream}'s work. */
    public void record(CudaStream stream) {
        CudaStatus.runtime(cudart.cudaEventRecord(handle, stream.handle()), "record an event");
    }

    public void synchronize() {
        CudaStatus.runtime(cudart.cudaEventSynchronize(handle), "wait for an event");
    }

    /** Milliseconds from {@code start} to this event (both recorded and complete). */
    public float millisSince(CudaEvent start) {
        float[] ms = new float[1];
        CudaStatus.runtime(cudart.cudaEventElapsedTime(ms, start.handle(), handle), "time two events");
        return ms[0];
    }

    @Override
    public void close() {
        if (!destroyed) {
            destroyed = true;
            cudart.cudaEventDestroy(handle);
        }
    }
}
