package org.twllm.core.engine.cuda;

import org.twllm.core.engine.HostBuffer;

/**
 * {@link BucketCopies} for a device without streams (the host emulation): plain host buffers, and each copy done
 * at once with {@link Gpu#download(long, HostBuffer, long, long)}, which follows everything issued before it.
 */
final class DownloadingBucketCopies implements BucketCopies {
    private final Gpu gpu;
    private final HostBuffer[] buffers;

    DownloadingBucketCopies(Gpu gpu, int slots, long elements) {
        this.gpu = gpu;
        this.buffers = new HostBuffer[slots];
        for (int i = 0; i < slots; i++) {
            buffers[i] = HostBuffer.allocate(elements, HostBuffer.Element.F32);
        }
    }

    @Override
    public int slots() {
        return buffers.length;
    }

    @Override
    public HostBuffer buffer(int slot) {
        return buffers[slot];
    }

    @Override
    public void start(int slot, long src, long elements) {
        gpu.download(src, buffers[slot], 0, elements);
    }

    @Override
    public void await(int slot) {
        // the copy finished in start()
    }

    @Override
    public void close() {
        for (HostBuffer b : buffers) {
            b.close();
        }
    }
}
