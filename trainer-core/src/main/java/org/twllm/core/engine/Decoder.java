package org.twllm.core.engine;

/**
 * The Llama forward pass for tokens appended to sequences whose earlier positions were already run, several
 * sequences at once, each with its own {@link KvCache}: what generation, chat, evaluation and the server run.
 * Holds only weights, so one decoder serves any number of caches; a call is not thread-safe with another on the
 * same caches.
 */
public interface Decoder {
    LlamaConfig shape();

    /** An empty cache for one sequence of up to {@code capacity} positions. */
    KvCache newCache(int capacity);

    /**
     * Runs {@code tokens[i]} after the cached positions of {@code caches[i]}, for every i, and caches their keys
     * and values. Returns the logits of each sequence's last new token.
     */
    float[][] forwardLast(KvCache[] caches, int[][] tokens);

    /** Runs {@code tokens} after the cached positions of {@code cache}; the logits of every new position. */
    float[][] forwardAll(KvCache cache, int[] tokens);
}
