package org.twllm.core.engine;

/**
 * Where an engine hands finished gradient buckets: data parallelism sums each bucket over the ranks and ADDS
 * this rank's owned part of the sum into the engine's fp32 gradient partition ({@link Engine#gradientPartition()}),
 * then releases the bucket. One rank simply adds its bucket. Buckets arrive in index order, the same on every rank.
 */
public interface GradientSink {
    /** Takes {@code bucket}; may return before it is reduced, and releases it when done. */
    void bucketReady(GradientBucket bucket);

    /** Returns once every bucket handed over so far is added into the partition and released. */
    void awaitAll();
}
