package org.twllm.dist.zero;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.twllm.core.model.GradientReadyListener;
import org.twllm.core.train.DataParallel;
import org.twllm.dist.collective.Communicator;
import org.twllm.dist.collective.RingPartition;
import org.twllm.errors.TwllmException;

/**
 * ZeRO-2 data parallelism over an Aeron ring. The flat buffers are split into one contiguous range per
 * rank by {@link RingPartition#split} with 16-float alignment (rank {@code r} owns
 * {@code [bounds[r], bounds[r+1])}; the last ranges may be short or empty). During the last
 * micro-batch's backward, gradient buckets ({@code bucket_size_mb}) are reduce-scattered on a
 * communication thread as soon as backward reports them final, from the end of the buffer towards the
 * start, so communication overlaps the rest of backward; {@link #finishGradientSync} waits for the
 * rest. Each rank then holds the global gradient sum of its own range (ring order, see
 * {@link Communicator}), updates that range with its optimizer, and {@link #allGatherParameters}
 * makes every rank's parameters equal again.
 *
 * <p>The communicator is used only from the communication thread.
 */
public final class AeronDataParallel implements DataParallel {
    private static final Logger LOG = LoggerFactory.getLogger(AeronDataParallel.class);

    private final Communicator communicator;
    private final long numParameters;
    private final long[] bounds;
    private final long bucketElements;
    private final ExecutorService commThread;

    private final List<Future<?>> inFlight = new ArrayList<>();
    private GradientBuckets buckets;
    private long gradientAddress;
    private long steps;
    private long bucketCount;
    private volatile long commNanos;
    private long blockedNanos;
    private long gatherNanos;

    /**
     * Wraps a connected communicator (this object closes it); gradients are reduce-scattered in buckets
     * of {@code bucketElements} floats (see {@link #bucketElements(int)} for the config's MiB).
     */
    public AeronDataParallel(Communicator communicator, long numParameters, long bucketElements) {
        if (bucketElements < 1) {
            throw new IllegalArgumentException("bucket size must be positive");
        }
        this.communicator = communicator;
        this.numParameters = numParameters;
        this.bounds = RingPartition.split(numParameters, communicator.worldSize(), RingPartition.CACHE_LINE_FLOATS);
        this.bucketElements = bucketElements;
        this.commThread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "twllm-comm-rank" + communicator.rank());
            t.setDaemon(true);
            return t;
        });
    }

    /** Floats in a bucket of {@code bucketSizeMb} MiB ({@code distributed.bucket_size_mb}). */
    public static long bucketElements(int bucketSizeMb) {
        if (bucketSizeMb < 1) {
            throw new IllegalArgumentException("distributed.bucket_size_mb must be at least 1");
        }
        return (long) bucketSizeMb * (1 << 20) / Float.BYTES;
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
    public GradientReadyListener beginGradientSync(INDArray flatGradients) {
        if (buckets != null) {
            throw new IllegalStateException("beginGradientSync called twice without finishGradientSync");
        }
        gradientAddress = addressOf(flatGradients, "gradients");
        buckets = new GradientBuckets(numParameters, bucketElements, this::launchBucket);
        return buckets;
    }

    /** Runs on the thread that reported the bucket's last range: queues its reduce-scatter. */
    private void launchBucket(int bucket) {
        long[] clipped = RingPartition.clip(bounds, buckets.start(bucket), buckets.end(bucket));
        long address = gradientAddress;
        inFlight.add(commThread.submit(() -> {
            long started = System.nanoTime();
            communicator.reduceScatter(address, clipped, "reduce-scatter of gradients", bucket);
            commNanos += System.nanoTime() - started;
            return null;
        }));
        bucketCount++;
    }

    @Override
    public void finishGradientSync(INDArray flatGradients) {
        if (buckets == null) {
            beginGradientSync(flatGradients);
        }
        if (addressOf(flatGradients, "gradients") != gradientAddress) {
            throw new IllegalStateException("finishGradientSync got another gradient buffer than beginGradientSync");
        }
        long started = System.nanoTime();
        try {
            synchronized (buckets) {
                buckets.launchRest();
            }
            for (Future<?> f : inFlight) {
                await(f);
            }
        } finally {
            blockedNanos += System.nanoTime() - started;
            inFlight.clear();
            buckets = null;
            steps++;
        }
    }

    @Override
    public void allGatherParameters(INDArray flatParameters) {
        long address = addressOf(flatParameters, "parameters");
        long started = System.nanoTime();
        onCommThread(() -> {
            communicator.allGather(address, bounds, "all-gather of parameters", -1);
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

    private long addressOf(INDArray flat, String what) {
        if (flat.dataType() != DataType.FLOAT || flat.length() != numParameters || flat.elementWiseStride() != 1) {
            throw new IllegalArgumentException("flat " + what + " must be a dense fp32 vector of " + numParameters
                    + " elements, got " + flat.dataType() + " of " + flat.length());
        }
        return flat.data().addressPointer().address() + flat.offset() * Float.BYTES;
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
            LOG.info("rank {}: ZeRO-2 communication: {}", rank(), stats());
        }
        commThread.shutdown();
        communicator.close();
    }
}
