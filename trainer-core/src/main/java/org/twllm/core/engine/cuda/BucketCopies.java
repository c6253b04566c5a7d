package org.twllm.core.engine.cuda;

import org.twllm.core.engine.HostBuffer;

/**
 * The host side of finished gradient buckets: a fixed set of host buffers ("slots") and device-to-host copies
 * into them that overlap the compute stream. On a GPU ({@link StreamBucketCopies}) the buffers are pinned and a
 * copy runs on the copy stream after an event on the compute stream; {@link BucketPipeline} decides what is
 * copied when. Driven by one thread.
 */
interface BucketCopies extends AutoCloseable {
    /** Makes the copies of {@code slots} buffers of {@code elements} floats each. */
    @FunctionalInterface
    interface Maker {
        BucketCopies make(int slots, long elements);
    }

    int slots();

    /** Slot {@code slot}'s host buffer (fp32, one bucket long). */
    HostBuffer buffer(int slot);

    /**
     * Starts copying {@code elements} floats at device address {@code src} into slot {@code slot}'s buffer, after
     * everything issued on the compute stream so far; returns without waiting for the copy.
     */
    void start(int slot, long src, long elements);

    /** Returns once the copy last started into {@code slot} has landed in its buffer. */
    void await(int slot);

    @Override
    void close();
}
