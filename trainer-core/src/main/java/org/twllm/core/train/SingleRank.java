package org.twllm.core.train;

import org.twllm.core.engine.GradientBucket;
import org.twllm.core.engine.GradientSink;
import org.twllm.core.engine.HostBuffer;

/** Data parallelism of one: this process owns every parameter and has nothing to exchange. */
public final class SingleRank implements DataParallel {
    private final long numParameters;

    public SingleRank(long numParameters) {
        this.numParameters = numParameters;
    }

    @Override
    public int rank() {
        return 0;
    }

    @Override
    public int worldSize() {
        return 1;
    }

    @Override
    public long ownedStart() {
        return 0;
    }

    @Override
    public long ownedEnd() {
        return numParameters;
    }

    @Override
    public void allReduceSum(double[] values) {
        // One rank: each local value is already the sum.
    }

    @Override
    public void barrier() {
        // One rank: nobody to wait for.
    }

    @Override
    public void barrier(long timeoutNs, String what) {
        // One rank: nobody to wait for.
    }

    /** One rank's sum is its own bucket: added into the partition at once. */
    @Override
    public GradientSink gradientSink(HostBuffer partition) {
        return new GradientSink() {
            @Override
            public void bucketReady(GradientBucket bucket) {
                partition.add(bucket.start(), bucket.buffer(), 0, bucket.end() - bucket.start());
                bucket.release();
            }

            @Override
            public void awaitAll() {
                // Every bucket was added when it came.
            }
        };
    }

    @Override
    public void allGather(HostBuffer weights) {
        // One rank: the updated range is the whole buffer.
    }

    @Override
    public void close() {
    }
}
