package org.twllm.core.engine;

/**
 * The fixed gradient buckets over the flat parameter layout, numbered from its end (backward finishes the last
 * layers first): bucket {@code k} is {@code [max(0, n - (k+1)B), n - kB)}. Every rank and every engine cuts the
 * same buckets, so their reduce-scatters line up. Plain arithmetic.
 */
public final class GradientBuckets {
    private final long total;
    private final long bucketElements;
    private final int count;

    public GradientBuckets(long total, long bucketElements) {
        if (bucketElements < 1 || total < 0) {
            throw new IllegalArgumentException("buckets of " + bucketElements + " over " + total + " elements");
        }
        this.total = total;
        this.bucketElements = bucketElements;
        this.count = Math.toIntExact((total + bucketElements - 1) / bucketElements);
    }

    /** Floats of one (full) bucket ({@code distributed.bucket_size_mb} MiB). */
    public static long elementsOfMib(int mib) {
        if (mib < 1) {
            throw new IllegalArgumentException("distributed.bucket_size_mb must be at least 1");
        }
        return (long) mib * (1 << 20) / Float.BYTES;
    }

    public int count() {
        return count;
    }

    public long bucketElements() {
        return bucketElements;
    }

    public long total() {
        return total;
    }

    public long start(int bucket) {
        return Math.max(0, total - (bucket + 1L) * bucketElements);
    }

    public long end(int bucket) {
        return total - bucket * bucketElements;
    }

    /** The bucket holding flat element {@code index}. */
    public int bucketOf(long index) {
        if (index < 0 || index >= total) {
            throw new IndexOutOfBoundsException("element " + index + " outside [0, " + total + ")");
        }
        return (int) ((total - 1 - index) / bucketElements);
    }
}
