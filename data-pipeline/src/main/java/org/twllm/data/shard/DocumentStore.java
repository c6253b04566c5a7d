package org.twllm.data.shard;

/**
 * Tokenized documents laid end to end in corpus order, as training reads them. A cPT document is
 * {@code [BOS] + ids + [EOS]}; an SFT document is one rendered example (template tokens included)
 * with a per-token loss mask. Implementations are memory-mapped shards or, in tests, arrays.
 */
public interface DocumentStore {
    long numDocuments();

    long numTokens();

    /** Token offset where document {@code doc} starts; {@code documentStart(numDocuments()) == numTokens()}. */
    long documentStart(long doc);

    /** Copies tokens {@code [position, position + length)} of the stream into {@code dst[offset..]}. */
    void readTokens(long position, int[] dst, int offset, int length);

    /** Whether the store carries a loss mask (SFT) or trains on every token (cPT). */
    boolean hasLossMask();

    /** Copies the loss mask (true = trained) of {@code [position, position + length)} into {@code dst[offset..]}. */
    void readLossMask(long position, boolean[] dst, int offset, int length);
}
