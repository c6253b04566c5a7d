package org.twllm.data.loader;

import org.twllm.errors.ConfigException;

/**
 * Two datasets interleaved at a fixed ratio, deterministically: sample i comes from {@code first} exactly
 * when {@code floor((i+1)*f) > floor(i*f)}, so any prefix of i samples holds {@code floor(i*f)} from the
 * first dataset and the rest from the second, spread evenly (f is the first dataset's fraction, rounded to
 * 1e-6 and computed in exact integer arithmetic). One epoch is the smallest length that shows every sample
 * of both datasets at least once; the dataset that runs out first is repeated from its start (upsampled).
 * Feedback SFT uses it to mix positively rated conversations (first) into SFT data (second). Access is O(1).
 */
public final class MixedDataset implements SampleDataset {
    private static final long SCALE = 1_000_000;

    private final SampleDataset first;
    private final SampleDataset second;
    private final long firstPerMillion;
    private final long size;

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
        this.size = Math.max(ceilDiv(Math.multiplyExact(first.size(), SCALE), perMillion),
                ceilDiv(Math.multiplyExact(second.size(), SCALE), SCALE - perMillion));
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
        checkIndex(index);
        long firstBefore = firstBefore(index);
        return isFirst(index, firstBefore) ? first.get(firstBefore % first.size())
                : second.get((index - firstBefore) % second.size());
    }

    @Override
    public long trainedTokens(long index) {
        checkIndex(index);
        long firstBefore = firstBefore(index);
        return isFirst(index, firstBefore) ? first.trainedTokens(firstBefore % first.size())
                : second.trainedTokens((index - firstBefore) % second.size());
    }

    /** Whether sample {@code index} comes from the first dataset. */
    public boolean fromFirst(long index) {
        checkIndex(index);
        return isFirst(index, firstBefore(index));
    }

    private boolean isFirst(long index, long firstBefore) {
        return firstBefore(index + 1) > firstBefore;
    }

    /** How many of samples {@code 0..index-1} come from the first dataset. */
    private long firstBefore(long index) {
        return Math.multiplyExact(index, firstPerMillion) / SCALE;
    }

    private void checkIndex(long index) {
        if (index < 0 || index >= size) {
            throw new IndexOutOfBoundsException("sample " + index + " of " + size);
        }
    }

    private static long ceilDiv(long a, long b) {
        return -Math.floorDiv(-a, b);
    }
}
