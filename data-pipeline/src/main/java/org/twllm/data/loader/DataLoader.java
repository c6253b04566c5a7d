package org.twllm.data.loader;

import org.twllm.errors.ConfigException;

import java.util.ArrayList;
import java.util.List;

/**
 * Hands each rank its micro-batches for a step. Samples are read as one endless sequence, epoch after
 * epoch: global position p is sample {@code order(p / N)[p % N]} of the dataset (N samples, order from
 * {@link GlobalSampleOrder}). Global batch s (steps count from 0) is positions {@code [s*G, s*G + G)};
 * rank r of w takes the contiguous share {@code [s*G + r*G/w, s*G + (r+1)*G/w)} and splits it into
 * micro-batches of m samples, in order. Concatenating the ranks' shares gives the one-rank batch, so the
 * samples of a step never depend on the world size; any step is computed directly from its number, so
 * resuming at step s costs no replay. Requires G divisible by w and G/w divisible by m.
 */
public final class DataLoader {
    private final SampleDataset dataset;
    private final GlobalSampleOrder order;
    private final int globalBatch;
    private final int microBatch;

    public DataLoader(SampleDataset dataset, long seed, boolean shuffle, int globalBatch, int microBatch) {
        if (globalBatch < 1 || microBatch < 1) {
            throw new ConfigException("The global batch (" + globalBatch + ") and micro-batch (" + microBatch
                    + ") sizes must be at least 1.");
        }
        if (globalBatch % microBatch != 0) {
            throw new ConfigException("The global batch " + globalBatch + " is not a multiple of the micro-batch "
                    + microBatch + "; choose sizes where global batch = micro-batch x accumulation steps x ranks.");
        }
        this.dataset = dataset;
        this.order = new GlobalSampleOrder(dataset.size(), seed, shuffle);
        this.globalBatch = globalBatch;
        this.microBatch = microBatch;
    }

    public SampleDataset dataset() {
        return dataset;
    }

    public int globalBatch() {
        return globalBatch;
    }

    public int microBatch() {
        return microBatch;
    }

    /** Throws a {@link ConfigException} unless the batch sizes split evenly over {@code worldSize} ranks. */
    public void checkWorldSize(int worldSize) {
        if (worldSize < 1) {
            throw new ConfigException("The world size must be at least 1, not " + worldSize + ".");
        }
        if (globalBatch % worldSize != 0) {
            throw new ConfigException("The global batch " + globalBatch + " does not divide over " + worldSize
                    + " ranks; use a global batch that is a multiple of the number of ranks.");
        }
        int perRank = globalBatch / worldSize;
        if (perRank % microBatch != 0) {
            throw new ConfigException("Each of " + worldSize + " ranks gets " + perRank + " samples of the global batch "
                    + globalBatch + ", not a multiple of the micro-batch " + microBatch
                    + "; make global batch = micro-batch x accumulation steps x ranks.");
        }
    }

    /** Number of micro-batches (gradient accumulation steps) each rank runs per step. */
    public int accumulationSteps(int worldSize) {
        checkWorldSize(worldSize);
        return globalBatch / worldSize / microBatch;
    }

    /** The epoch that global position {@code step * G} falls in. */
    public long epochOf(long step) {
        return Math.multiplyExact(step, (long) globalBatch) / order.size();
    }

    /** Dataset index of global position {@code position} of the endless epoch-by-epoch sequence. */
    public long sampleIndex(long position) {
        return order.sampleAt(position / order.size(), position % order.size());
    }

    /** Dataset indices of rank {@code rank}'s share of step {@code step}, in order. */
    public long[] sampleIndices(long step, int rank, int worldSize) {
        checkWorldSize(worldSize);
        checkStepAndRank(step, rank, worldSize);
        int perRank = globalBatch / worldSize;
        long first = Math.multiplyExact(step, (long) globalBatch) + (long) rank * perRank;
        long[] indices = new long[perRank];
        for (int i = 0; i < perRank; i++) {
            indices[i] = sampleIndex(first + i);
        }
        return indices;
    }

    /** Rank {@code rank}'s micro-batches for step {@code step} (0-based) in a world of {@code worldSize} ranks. */
    public List<List<Sample>> microBatches(long step, int rank, int worldSize) {
        long[] indices = sampleIndices(step, rank, worldSize);
        List<List<Sample>> batches = new ArrayList<>(indices.length / microBatch);
        for (int start = 0; start < indices.length; start += microBatch) {
            List<Sample> batch = new ArrayList<>(microBatch);
            for (int i = start; i < start + microBatch; i++) {
                batch.add(dataset.get(indices[i]));
            }
            batches.add(batch);
        }
        return batches;
    }

    /**
     * Trained targets in the whole global batch of step {@code step} (all ranks): the loss denominator.
     * Every rank can compute it alone, without building samples where the dataset knows per-sample counts.
     */
    public long globalTrainedTokens(long step) {
        checkStepAndRank(step, 0, 1);
        long first = Math.multiplyExact(step, (long) globalBatch);
        long total = 0;
        for (int i = 0; i < globalBatch; i++) {
            total += dataset.trainedTokens(sampleIndex(first + i));
        }
        return total;
    }

    /** Trained targets in one micro-batch. */
    public static long trainedTokens(List<Sample> microBatch) {
        long total = 0;
        for (Sample sample : microBatch) {
            total += sample.trainedTokens();
        }
        return total;
    }

    private static void checkStepAndRank(long step, int rank, int worldSize) {
        if (step < 0) {
            throw new IllegalArgumentException("step " + step + " is negative; steps count from 0");
        }
        if (rank < 0 || rank >= worldSize) {
            throw new IllegalArgumentException("rank " + rank + " is not in [0, " + worldSize + ")");
        }
    }
}
