package org.twllm.core.engine.cuda;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.cuda.global.cudart;
import org.twllm.core.engine.HostBuffer;

/**
 * Page-locked host memory from {@code cudaMallocHost}: the source or target of asynchronous copies
 * (finished gradient buckets go to the host on the copy stream while backward goes on). close() frees it.
 */
public final class PinnedHostBuffer implements AutoCloseable {
    private final Pointer memory = new Pointer();
    private final long bytes;
    private final ByteBuffer view;
    private boolean freed;

    PinnedHostBuffer(long bytes) {
        if (bytes <= 0 || bytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a pinned buffer holds 1 to 2^31-1 bytes, not " + bytes);
        }
        CudaStatus.runtime(cudart.cudaMallocHost(memory, bytes), "allocate " + bytes + " bytes of pinned host memory");
        this.bytes = bytes;
        this.view = new BytePointer(memory).capacity(bytes).asByteBuffer().order(ByteOrder.nativeOrder());
    }

    /** The memory as a direct buffer (native byte order). */
    public ByteBuffer buffer() {
        return view;
    }

    /** The memory as fp32 elements (a view: closing it leaves the memory alone). */
    public HostBuffer floats() {
        return HostBuffer.wrap(memory, bytes / Float.BYTES, HostBuffer.Element.F32);
    }

    /** The memory as elements of {@code element} (a view). */
    public HostBuffer elements(HostBuffer.Element element) {
        return HostBuffer.wrap(memory, bytes / element.bytes(), element);
    }

    public long bytes() {
        return bytes;
    }

    long address() {
        return memory.address();
    }

    @Override
    public void close() {
        if (!freed) {
            freed = true;
            cudart.cudaFreeHost(memory);
        }
    }
}
