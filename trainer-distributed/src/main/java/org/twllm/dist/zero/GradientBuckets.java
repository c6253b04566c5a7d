package org.twllm.dist.zero;

import java.util.function.IntConsumer;

import org.twllm.core.model.GradientReadyListener;

/**
 * Fixed gradient buckets over the flat buffer, counted from its end (backward finishes the last layers
 * first): bucket {@code k} is {@code [max(0, n - (k+1)B), n - kB)}. Ranges reported by backward are
 * counted into their buckets; a bucket is launched once it is complete and every bucket before it has
 * been launched, so every rank launches the same buckets in the same order whatever order its backward
 * reports ranges in. Thread-safe: backward may report from several threads.
 */
final class GradientBuckets implements GradientReadyListener {
    private final long n;
    private final long bucketElements;
    private final int count;
    private final long[] ready;
    private final IntConsumer launch;
    private int nextToLaunch;

    GradientBuckets(long n, long bucketElements, IntConsumer launch) {
        this.n = n;
        this.bucketElements = bucketElements;
        this.count = (int) ((n + bucketElements - 1) / bucketElements);
        this.ready = new long[count];
        this.launch = launch;
    }

    int count() {
        return count;
    }

    long start(int bucket) {
        return Math.max(0, n - (bucket + 1L) * bucketElements);
    }

    long end(int bucket) {
        return n - bucket * bucketElements;
    }

    @Override
    public synchronized void gradientsReady(long offset, long length) {
        if (offset < 0 || length < 0 || offset + length > n) {
            throw new IllegalArgumentException("gradient range [" + offset + ", " + (offset + length) + ") outside [0, " + n + ")");
        }
        long position = offset;
        long end = offset + length;
        while (position < end) {
            int bucket = (int) ((n - 1 - position) / bucketElements);
            long upto = Math.min(end, end(bucket));
            ready[bucket] += upto - position;
            if (ready[bucket] > end(bucket) - start(bucket)) {
                throw new IllegalStateException("gradient range [" + offset + ", " + end + ") reported twice in one backward");
            }
            position = upto;
        }
        launchCompleted();
    }

    /** Launches every remaining bucket in order (after backward, whatever was reported). */
    synchronized void launchRest() {
        while (nextToLaunch < count) {
            launch.accept(nextToLaunch++);
        }
    }

    private void launchCompleted() {
        while (nextToLaunch < count && ready[nextToLaunch] == end(nextToLaunch) - start(nextToLaunch)) {
            launch.accept(nextToLaunch++);
        }
    }
}
