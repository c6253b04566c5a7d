package org.twllm.core.generate;

import org.twllm.core.engine.Decoder;
import org.twllm.core.engine.KvCache;

/**
 * The Llama forward pass for one sequence with a KV cache: each layer's rotated keys and values are
 * kept, so a new token costs one forward step over one position plus attention over the cache,
 * instead of a re-run of the whole sequence. The prompt goes through once ({@link #forward} with all
 * its tokens), then one token a call. A {@link Decoder} over one {@link KvCache}; not thread-safe.
 */
public final class KvCacheDecoder {
    private final Decoder decoder;
    private final KvCache cache;

    /** A decoder whose cache holds up to {@code capacity} positions (at most the model's maximum). */
    public KvCacheDecoder(Decoder decoder, int capacity) {
        this.decoder = decoder;
        this.cache = decoder.newCache(capacity);
    }

    /** Positions already in the cache. */
    public int length() {
        return cache.length();
    }

    public int capacity() {
        return cache.capacity();
    }

    /** Leading tokens of {@code sequence} already cached, leaving at least one to run (see {@link KvCache#sharedPrefix}). */
    public int sharedPrefix(int[] sequence) {
        return cache.sharedPrefix(sequence);
    }

    /** Forgets every cached position (the arrays are reused). */
    public void reset() {
        cache.reset();
    }

    /** Keeps only the first {@code newLength} cached positions (a shared prefix of the next sequence). */
    public void truncate(int newLength) {
        cache.truncate(newLength);
    }

    /** Runs {@code tokens} after the cached positions and returns the logits of the last one. */
    public float[] forwardLast(int[] tokens) {
        return decoder.forwardLast(new KvCache[] {cache}, new int[][] {tokens})[0];
    }

    /**
     * Runs {@code tokens} at positions {@code length() .. length() + tokens.length - 1}, caching their
     * keys and values. Returns the logits of every new position ({@code allPositions}) or of the last one.
     */
    public float[][] forward(int[] tokens, boolean allPositions) {
        return allPositions ? decoder.forwardAll(cache, tokens) : new float[][] {forwardLast(tokens)};
    }
}
