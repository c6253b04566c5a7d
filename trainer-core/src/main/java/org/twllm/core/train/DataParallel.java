package org.twllm.core.train;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.twllm.core.model.GradientReadyListener;

/**
 * What the training loop needs from data parallelism, ZeRO-2 style. Every rank holds the full
 * parameters and computes full local gradients; after the last micro-batch's backward the gradients
 * are summed across ranks, but each rank only needs (and keeps) the sum over the range it owns; the
 * optimizer updates that range of the flat fp32 parameters; then the updated ranges are all-gathered.
 *
 * <p>The single-process case is {@link SingleRank}: it owns the whole buffer and communicates nothing.
 */
public interface DataParallel extends AutoCloseable {
    int rank();

    int worldSize();

    /** First element of the flat parameter buffer this rank's optimizer updates. */
    long ownedStart();

    /** One past the last element this rank's optimizer updates. */
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
     * Listener for the last micro-batch's backward; it may start reducing gradient buckets as soon as
     * they are final. Called once per optimizer step, before that backward.
     */
    GradientReadyListener beginGradientSync(INDArray flatGradients);

    /**
     * Completes the gradient reduction begun by {@link #beginGradientSync}: afterwards
     * {@code flatGradients[ownedStart, ownedEnd)} holds the sum over all ranks. Other ranges are unspecified.
     */
    void finishGradientSync(INDArray flatGradients);

    /** After the optimizer updated this rank's owned range, makes every rank's full parameters equal. */
    void allGatherParameters(INDArray flatParameters);

    @Override
    void close();
}
