package org.twllm.core.engine.cuda;

import org.twllm.core.engine.HostBuffer;

/**
 * {@link BucketCopies} on a real GPU: pinned host buffers, and per slot an event recorded on the compute stream
 * that the copy stream waits for before its cudaMemcpyAsync, and an event after the copy that
 * {@link #await} synchronizes on. The compute stream never waits, so backward goes on while buckets travel.
 */
final class StreamBucketCopies implements BucketCopies {
    private final CudaGpu gpu;
    private final PinnedHostBuffer[] pinned;
    private final HostBuffer[] views;
    private final CudaEvent[] computed;
    private final CudaEvent[] copied;

    StreamBucketCopies(CudaGpu gpu, int slots, long elements) {
        this.gpu = gpu;
        this.pinned = new PinnedHostBuffer[slots];
        this.views = new HostBuffer[slots];
        this.computed = new CudaEvent[slots];
        this.copied = new CudaEvent[slots];
        try {
            for (int i = 0; i < slots; i++) {
                pinned[i] = gpu.newPinnedBuffer(Float.BYTES * elements);
                views[i] = pinned[i].floats();
                computed[i] = gpu.newEvent();
                copied[i] = gpu.newEvent();
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    @Override
    public int slots() {
        return pinned.length;
    }

    @Override
    public HostBuffer buffer(int slot) {
        return views[slot];
    }

    @Override
    public void start(int slot, long src, long elements) {
        computed[slot].record(gpu.computeStream());
        gpu.copyStream().waitFor(computed[slot]);
        gpu.downloadAsync(src, pinned[slot], 0, Float.BYTES * elements, gpu.copyStream());
        copied[slot].record(gpu.copyStream());
    }

    @Override
    public void await(int slot) {
        copied[slot].synchronize();
    }

    @Override
    public void close() {
        for (int i = 0; i < pinned.length; i++) {
            if (copied[i] != null) {
                copied[i].close();
            }
            if (computed[i] != null) {
                computed[i].close();
            }
            if (pinned[i] != null) {
                pinned[i].close();
            }
        }
    }
}
