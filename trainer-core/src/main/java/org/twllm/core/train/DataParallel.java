package org.twllm.core.train;

import org.twllm.core.engine.GradientSink;
import org.twllm.core.engine.HostBuffer;

/**
 * What the training loop needs from data parallelism, ZeRO style. The flat parameter layout is split into one
 * contiguous owned range per rank; every rank's engine holds the full compute weights and, for its owned range
 * only, the master weights, AdamW moments and an fp32 gradient partition. Gradient buckets are summed over the
 * ranks into each rank's partition as the engine hands them over ({@link #gradientSink}), each rank updates its
 * range, and the updated ranges are all-gathered ({@link #allGather}).
 *
 * <p>The single-process case is {@link SingleRank}: it owns the whole layout and communicates nothing.
 */
public interface DataParallel extends AutoCloseable {
    int rank();

    int worldSize();

    /** First element of the flat layout this rank owns. */
    long ownedStart();

    /** One past the last element this rank owns. */
    long ownedEnd();

    /**
     * Sums each of {@code values} over all ranks, in place, in one exchange: afterwards every rank holds the
     * same sums, each added up in a fixed order (so results repeat bit for bit).
     */
    void allReduceSum(double[] values);

    /** Returns once every rank has called it; fails when one has not come within the collective timeout. */
    void barrier();

    /**
     * {@link #barrier()} waiting up to {@code timeoutNs} instead of the collective timeout, for work one rank
     * does while the others wait (a checkpoint save); {@code what} names it in a failure.
     */
    void barrier(long timeoutNs, String what);

    /**
     * The sink an engine hands its gradient buckets to: each bucket is summed over the ranks and the sum over this
     * rank's owned range is ADDED into {@code partition} (fp32; element i is flat element {@code ownedStart + i}).
     */
    GradientSink gradientSink(HostBuffer partition);

    /** {@code weights} (the whole layout; this rank's owned range updated) afterwards holds every rank's range. */
    void allGather(HostBuffer weights);

    @Override
    void close();
}
