package org.twllm.core.train;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.twllm.core.model.GradientReadyListener;

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

    @Override
    public GradientReadyListener beginGradientSync(INDArray flatGradients) {
        return GradientReadyListener.NONE;
    }

    @Override
    public void finishGradientSync(INDArray flatGradients) {
        // One rank: local gradients are already the global sum.
    }

    @Override
    public void allGatherParameters(INDArray flatParameters) {
        // One rank: the updated range is the whole buffer.
    }

    @Override
    public void close() {
    }
}
