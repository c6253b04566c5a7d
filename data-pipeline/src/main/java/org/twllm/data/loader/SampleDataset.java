package org.twllm.data.loader;

/** A fixed, indexable set of samples of one length, read from tokenized shards. Random access is O(1). */
public interface SampleDataset {
    /** Number of samples (one epoch). */
    long size();

    /** Every sample has this many positions. */
    int seqLen();

    /** Sample {@code index}, 0 <= index < size(). */
    Sample get(long index);

    /**
     * Number of trained targets of sample {@code index} (equal to {@code get(index).trainedTokens()}).
     * Datasets that know it without building the sample override this, so the trainer can count a global
     * batch's trained tokens (the loss denominator) before any forward pass.
     */
    default long trainedTokens(long index) {
        return get(index).trainedTokens();
    }

    /** Throws unless {@code 0 <= index < size}: every dataset's check of a sample index. */
    static void checkIndex(long index, long size) {
        if (index < 0 || index >= size) {
            throw new IndexOutOfBoundsException("sample " + index + " of " + size);
        }
    }
}
