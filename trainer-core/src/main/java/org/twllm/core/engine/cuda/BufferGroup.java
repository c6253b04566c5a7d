package org.twllm.core.engine.cuda;

import java.util.ArrayList;
import java.util.List;

/** Device buffers allocated together and freed together: close() frees every one, newest first. */
final class BufferGroup implements AutoCloseable {
    private final Gpu gpu;
    private final List<DeviceBuffer> buffers = new ArrayList<>();

    BufferGroup(Gpu gpu) {
        this.gpu = gpu;
    }

    /** {@code elements} fp32 values. */
    DeviceBuffer f32(long elements) {
        return of(StorageType.F32, elements);
    }

    /** {@code elements} values of {@code type}. */
    DeviceBuffer of(StorageType type, long elements) {
        return bytes(type.bytes() * elements);
    }

    /** {@code elements} 32-bit integers. */
    DeviceBuffer ints(long elements) {
        return bytes(4 * elements);
    }

    DeviceBuffer bytes(long bytes) {
        DeviceBuffer b = gpu.allocate(bytes);
        buffers.add(b);
        return b;
    }

    @Override
    public void close() {
        for (int i = buffers.size() - 1; i >= 0; i--) {
            buffers.get(i).close();
        }
        buffers.clear();
    }
}
