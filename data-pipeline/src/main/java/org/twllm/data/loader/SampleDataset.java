package org.twllm.data.loader;

/** A fixed, indexable set of samples of one length, read from tokenized shards. Random access is O(1). */
public interface SampleDataset {
    /** Number of samples (one epoch). */
    long size();

    /** Every sample has this many positions. */
    int seqLen();

    /** Sample {@code index}, 0 <= index < size(). */
    Sample get(long index);
}
