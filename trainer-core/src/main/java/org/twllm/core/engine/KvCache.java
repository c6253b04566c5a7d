package org.twllm.core.engine;

import java.util.Arrays;


/**
 * One sequence's cached rotated keys and values, per layer, for up to {@link #capacity()} positions.
 * The arrays grow by doubling as the sequence does, so a short chat does not hold a whole context's
 * worth of memory. A {@link Decoder} reads and appends to it; not thread-safe.
 */
public final class KvCache {
    private final int kvDim;
    private final int capacity;
    /** Per layer, [position][kvHeads * headDim]. */
    private final float[][] keys;
    private final float[][] values;
    /** The token of each cached position. */
    private int[] ids = new int[0];
    private int allocated;
    private int length;

    /** An empty cache of up to {@code capacity} positions (at most the model's maximum) for a model of {@code shape}. */
    public KvCache(LlamaConfig shape, int capacity) {
        if (capacity <= 0 || capacity > shape.maxPositionEmbeddings()) {
            throw new IllegalArgumentException("cache capacity " + capacity + " must be in 1.." + shape.maxPositionEmbeddings());
        }
        this.kvDim = shape.kvDim();
        this.capacity = capacity;
        this.keys = new float[shape.numLayers()][0];
        this.values = new float[shape.numLayers()][0];
    }

    /** Positions already in the cache. */
    public int length() {
        return length;
    }

    public int capacity() {
        return capacity;
    }

    /**
     * How many leading tokens of {@code sequence} the cache already holds at the same positions, leaving
     * at least its last token to run (its logits are needed): the prefix a next request can reuse.
     */
    public int sharedPrefix(int[] sequence) {
        int limit = Math.min(length, sequence.length - 1);
        int n = 0;
        while (n < limit && ids[n] == sequence[n]) {
            n++;
        }
        return n;
    }

    /** Forgets every cached position (the arrays are reused). */
    public void reset() {
        length = 0;
    }

    /** Keeps only the first {@code newLength} cached positions (a shared prefix of the next sequence). */
    public void truncate(int newLength) {
        if (newLength < 0 || newLength > length) {
            throw new IllegalArgumentException("cannot truncate a cache of " + length + " positions to " + newLength);
        }
        length = newLength;
    }

    /** Layer {@code layer}'s rotated keys, {@code kvHeads * headDim} floats per position (room for {@link #reserve}d ones). */
    public float[] keys(int layer) {
        return keys[layer];
    }

    /** Layer {@code layer}'s values, laid out as {@link #keys}. */
    public float[] values(int layer) {
        return values[layer];
    }

    /** Records the token at {@code position} (reserved, not yet counted by {@link #advance}). */
    public void setToken(int position, int id) {
        ids[position] = id;
    }

    /** Makes room for {@code more} positions after the cached ones. */
    public void reserve(int more) {
        int positions = length + more;
        if (positions > capacity) {
            throw new IllegalStateException("sequence of " + positions + " positions exceeds the cache capacity " + capacity);
        }
        if (positions <= allocated) {
            return;
        }
        int grown = Math.min(capacity, Math.max(positions, Math.max(64, allocated * 2)));
        for (int l = 0; l < keys.length; l++) {
            keys[l] = Arrays.copyOf(keys[l], grown * kvDim);
            values[l] = Arrays.copyOf(values[l], grown * kvDim);
        }
        ids = Arrays.copyOf(ids, grown);
        allocated = grown;
    }

    /** Counts {@code added} positions, whose keys and values were written, as cached. */
    public void advance(int added) {
        length += added;
    }
}
