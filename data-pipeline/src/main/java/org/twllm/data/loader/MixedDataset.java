package org.twllm.data.loader;

import org.twllm.errors.ConfigException;

/**
 * A primary dataset with a second one mixed in at a fixed ratio, deterministically. Sample i comes from
 * {@code first} exactly when {@code floor((i+1)*f) > floor(i*f)}, so any prefix of i samples holds
 * {@code floor(i*f)} from the first dataset and the rest from the second, evenly spread (f is the first
 * dataset's fraction, rounded to 1e-6 and computed in exact integer arithmetic).
 *
 * <p>One epoch shows every sample of the first dataset once, in order: its length is {@code ceil(n1 / f)}.
 * The second dataset fills the other {@code m2} slots: when it is larger it is subsampled evenly over its
 * whole length (slot j reads sample {@code floor(j * n2 / m2)}), when smaller it is repeated from its start.
 * Feedback SFT passes the positively rated conversations as the first dataset and replayed SFT data as the
 * second. Access is O(1).
 */
public final class MixedDataset implements SampleDataset {
    private static final long SCALE = 1_000_000;

    private final SampleDataset first;
    private final SampleDataset second;
    private final long firstPerMillion;
    private final long size;
    private final long secondSlots;

    public MixedDataset(SampleDataset first, SampleDataset second, double firstFraction) {
        if (first.seqLen() != second.seqLen()) {
            throw new ConfigException("Mixed datasets differ in sequence length (" + first.seqLen() + " and "
                    + second.seqLen() + "); build both with the same seq_len.");
        }
        long perMillion = Math.round(firstFraction * SCALE);
        if (!(firstFraction > 0 && firstFraction < 1) || perMillion <= 0 || perMillion >= SCALE) {
            throw new ConfigException("The mixing fraction must be strictly between 0 and 1 (at 1e-6 resolution), not "
                    + firstFraction + "; use one dataset alone for 0 or 1.");
        }
        if (first.size() == 0 || second.size() == 0) {
            throw new ConfigException("A mixed dataset needs samples in both parts, but they hold " + first.size()
                    + " and " + second.size() + " samples.");
        }
        this.first = first;
        this.second = second;
        this.firstPerMillion = perMillion;
        // The smallest size whose first-dataset share, floor(size * f), reaches n1.
        this.size = ceilDiv(Math.multiplyExact(first.size(), SCALE), perMillion);
        this.secondSlots = size - firstBefore(size);
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public int seqLen() {
        return first.seqLen();
    }

    @Override
    public Sample get(long index) {
        SampleDataset.checkIndex(index, size);
        long firstBefore = firstBefore(index);
        return isFirst(index, firstBefore) ? first.get(firstBefore) : second.get(secondIndex(index - firstBefore));
    }

    @Override
    public long trainedTokens(long index) {
        SampleDataset.checkIndex(index, size);
        long firstBefore = firstBefore(index);
        return isFirst(index, firstBefore) ? first.trainedTokens(firstBefore)
                : second.trainedTokens(secondIndex(index - firstBefore));
    }

    /** Whether sample {@code index} comes from the first dataset. */
    public boolean fromFirst(long index) {
        SampleDataset.checkIndex(index, size);
        return isFirst(index, firstBefore(index));
    }

    private boolean isFirst(long index, long firstBefore) {
        return firstBefore(index + 1) > firstBefore;
    }

    /** How many of samples {@code 0..index-1} come from the first dataset. */
    private long firstBefore(long index) {
        return Math.multiplyExact(index, firstPerMillion) / SCALE;
    }

    /** The second dataset's sample for its slot {@code slot} (0 <= slot < secondSlots). */
    private long secondIndex(long slot) {
        long n2 = second.size();
        if (secondSlots <= n2) {
            return Math.multiplyExact(slot, n2) / secondSlots;
        }
        return slot % n2;
    }

    private static long ceilDiv(long a, long b) {
        return -Math.floorDiv(-a, b);
    }
}
