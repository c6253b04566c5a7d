package org.twllm.dist.zero;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.twllm.core.engine.GradientBucket;
import org.twllm.core.engine.GradientSink;
import org.twllm.core.engine.HostBuffer;
import org.twllm.core.train.DataParallel;
import org.twllm.dist.collective.Communicator;
import org.twllm.dist.collective.RingPartition;
import org.twllm.errors.TwllmException;

/**
 * ZeRO data parallelism over an Aeron ring. The flat layout is split into one contiguous owned range per rank
 * by {@link RingPartition#split} with 16-float alignment (rank {@code r} owns {@code [bounds[r], bounds[r+1])};
 * the last ranges may be short or empty). Every gradient bucket an engine hands over is reduce-scattered on a
 * communication thread in the order they come (the same on every rank), so communication overlaps the rest of
 * backward; the owned part of the sum is then ADDED into the rank's fp32 gradient partition and the bucket is
 * released to the engine. Each rank updates its range; {@link #allGather} makes the weights equal again, in the
 * engine's compute element type (bf16 travels as 2 bytes an element).
 *
 * <p>The communicator is used only from the communication thread.
 */
public final class AeronDataParallel implements DataParallel {
    private static final Logger LOG = LoggerFactory.getLogger(AeronDataParallel.class);

    private final Communicator communicator;
    private final long[] bounds;
    private final ExecutorService commThread;

    private long steps;
    private long bucketCount;
    private volatile long commNanos;
    private long blockedNanos;
    private long gatherNanos;

    /** Wraps a connected communicator (this object closes it) for a flat layout of {@code numParameters} elements. */
    public AeronDataParallel(Communicator communicator, long numParameters) {
        this.communicator = communicator;
        this.bounds = RingPartition.split(numParameters, communicator.worldSize(), RingPartition.CACHE_LINE_FLOATS);
        this.commThread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "twllm-comm-rank" + communicator.rank());
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public int rank() {
        return communicator.rank();
    }

    @Override
    public int worldSize() {
        return communicator.worldSize();
    }

    @Override
    public long ownedStart() {
        return bounds[rank()];
    }

    @Override
    public long ownedEnd() {
        return bounds[rank() + 1];
    }

    @Override
    public void allReduceSum(double[] values) {
        onCommThread(() -> {
            communicator.allReduceSum(values);
            return null;
        });
    }

    @Override
    public GradientSink gradientSink(HostBuffer partition) {
        if (partition.elements() != ownedEnd() - ownedStart()) {
            throw new IllegalArgumentException("a gradient partition of " + partition.elements() + " elements for the owned range ["
                    + ownedStart() + ", " + ownedEnd() + ")");
        }
        return new RingSink(partition);
    }

    /** Reduce-scatters buckets on the communication thread and adds the owned part into the partition. */
    private final class RingSink implements GradientSink {
        private final HostBuffer partition;
        private final List<Future<?>> inFlight = new ArrayList<>();

        RingSink(HostBuffer partition) {
            this.partition = partition;
        }

        @Override
        public void bucketReady(GradientBucket bucket) {
            long[] clipped = RingPartition.clip(bounds, bucket.start(), bucket.end());
            // the ring addresses flat elements: element e of the bucket's range lies at base + 4e
            long base = bucket.buffer().address() - bucket.start() * Float.BYTES;
            inFlight.add(commThread.submit(() -> {
                long started = System.nanoTime();
                try {
                    communicator.reduceScatter(base, clipped, "reduce-scatter of gradients", bucket.index());
                    long from = Math.max(bucket.start(), ownedStart());
                    long to = Math.min(bucket.end(), ownedEnd());
                    if (from < to) {
                        partition.add(from - ownedStart(), bucket.buffer(), from - bucket.start(), to - from);
                    }
                } finally {
                    // released even after a failure, so an engine waiting for a free bucket goes on to see it
                    bucket.release();
                    commNanos += System.nanoTime() - started;
                }
                return null;
            }));
            bucketCount++;
        }

        @Override
        public void awaitAll() {
            long started = System.nanoTime();
            try {
                for (Future<?> f : inFlight) {
                    await(f);
                }
            } finally {
                blockedNanos += System.nanoTime() - started;
                inFlight.clear();
                steps++;
            }
        }
    }

    @Override
    public void allGather(HostBuffer weights) {
        if (weights.elements() != bounds[bounds.length - 1]) {
            throw new IllegalArgumentException("all-gather of " + weights.elements() + " elements over a layout of "
                    + bounds[bounds.length - 1]);
        }
        long started = System.nanoTime();
        onCommThread(() -> {
            communicator.allGather(weights.address(), weights.element().bytes(), bounds, "all-gather of weights", -1);
            return null;
        });
        gatherNanos += System.nanoTime() - started;
    }

    @Override
    public void barrier() {
        onCommThread(() -> {
            communicator.barrier();
            return null;
        });
    }

    @Override
    public void barrier(long timeoutNs, String what) {
        onCommThread(() -> {
            communicator.barrier(timeoutNs, what);
            return null;
        });
    }

    public CommunicationStats stats() {
        return new CommunicationStats(steps, bucketCount, commNanos, blockedNanos, gatherNanos);
    }

    private <T> T onCommThread(Callable<T> task) {
        return await(commThread.submit(task));
    }

    private static <T> T await(Future<T> future) {
        try {
            return future.get();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof TwllmException t) {
                throw t;
            }
            throw new TwllmException("communication thread failed: " + cause.getMessage(), cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TwllmException("interrupted while waiting for communication");
        }
    }

    @Override
    public void close() {
        if (steps > 0) {
            LOG.info("rank {}: ZeRO communication: {}", rank(), stats());
        }
        commThread.shutdown();
        communicator.close();
    }
}
