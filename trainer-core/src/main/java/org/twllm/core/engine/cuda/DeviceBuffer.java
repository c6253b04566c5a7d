package org.twllm.core.engine.cuda;

/** A block of device memory owned by whoever allocated it; close() frees it once. */
public final class DeviceBuffer implements AutoCloseable {
    private final Gpu gpu;
    private final long address;
    private final long bytes;
    private boolean freed;

    DeviceBuffer(Gpu gpu, long address, long bytes) {
        this.gpu = gpu;
        this.address = address;
        this.bytes = bytes;
    }

    /** The device address of byte {@code offset}, checked against the buffer's size. */
    public long at(long offset) {
        if (offset < 0 || offset > bytes) {
            throw new IndexOutOfBoundsException("offset " + offset + " outside a device buffer of " + bytes + " bytes");
        }
        return address + offset;
    }

    /** The device address of the buffer's start. */
    public long address() {
        return address;
    }

    public long bytes() {
        return bytes;
    }

    @Override
    public void close() {
        if (!freed) {
            freed = true;
            gpu.free(address, bytes);
        }
    }
}
