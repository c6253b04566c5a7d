package org.twllm.core.engine;

/**
 * A bucket whose gradients are final: {@code buffer[0, end - start)} holds the gradient of flat elements
 * {@code [start, end)}. The engine does not touch the buffer again until {@link #release()} is called.
 *
 * @param index   the bucket's number ({@link GradientBuckets}), the same on every rank
 * @param onRelease what the sink calls once it no longer reads the buffer (from any thread)
 */
public record GradientBucket(int index, long start, long end, HostBuffer buffer, Runnable onRelease) {
    /** Hands the buffer back to the engine for reuse. */
    public void release() {
        onRelease.run();
    }
}
