package org.twllm.data.loader;

import java.util.ArrayList;
import java.util.List;

/**
 * Hands each rank its micro-batches for a step. Samples are read as one endless sequence, epoch after
 * epoch: global position p is sample {@code order(p / N)[p % N]} of the dataset (N samples, order from
 * {@link GlobalSampleOrder}). Global batch s (steps count from 0) is positions {@code [s*G, s*G + G)};
 * rank r of w takes the contiguous share {@code [s*G + r*G/w, s*G + (r+1)*G/w)} and splits it into
 * micro-batches of m samples, in order. Concatenating the ranks' shares gives the one-rank batch, so the
 * samples of a step never depend on the world size; any step is computed directly from its number, so
 * resuming at step s costs no replay. Requires G divisible by w and G/w divisible by m, which the stage
 * config guarantees.
 */
public final class DataLoader {
    private final SampleDataset dataset;
    private final GlobalSampleOrder order;
    private final int globalBatch;
    private final int microBatch;

    /**
     * The batch sizes come from a validated stage config, whose training section is where the rule
     * global batch = micro-batch x accumulation x world size lives; here they are only preconditions.
     */
    public DataLoader(SampleDataset dataset, long seed, boolean shuffle, int globalBatch, int microBatch) {
        if (globalBatch < 1 || microBatch < 1) {
            throw new IllegalArgumentException("batch sizes must be at least 1, got global " + globalBatch
                    + " and micro " + microBatch);
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

    /** Samples per rank of a global batch; a precondition that they split into whole micro-batches. */
    private int perRank(int worldSize) {
        if (worldSize < 1 || globalBatch % worldSize != 0 || globalBatch / worldSize % microBatch != 0) {
            throw new IllegalArgumentException("global batch " + globalBatch + " does not split over " + worldSize
                    + " ranks into micro-batches of " + microBatch);
        }
        return globalBatch / worldSize;
    }

    /** Number of micro-batches (gradient accumulation steps) each rank runs per step. */
    public int accumulationSteps(int worldSize) {
        return perRank(worldSize) / microBatch;
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
        int perRank = perRank(worldSize);
        checkStepAndRank(step, rank, worldSize);
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
