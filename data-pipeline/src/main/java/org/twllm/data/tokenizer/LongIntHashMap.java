package org.twllm.data.tokenizer;

import java.util.Arrays;

/** An open-addressing map from non-negative long keys to int values; fixed after construction, read without allocation. */
final class LongIntHashMap {
    private static final long EMPTY = -1L;
    private long[] keys;
    private int[] values;
    private int shift;
    private int size;

    LongIntHashMap(int expectedSize) {
        int capacity = Integer.highestOneBit(Math.max(4, expectedSize * 2 - 1)) << 1;
        allocate(capacity);
    }

    private void allocate(int capacity) {
        keys = new long[capacity];
        values = new int[capacity];
        Arrays.fill(keys, EMPTY);
        shift = 64 - Integer.numberOfTrailingZeros(capacity);
    }

    void put(long key, int value) {
        if (key < 0) {
            throw new IllegalArgumentException("keys must be non-negative: " + key);
        }
        if ((size + 1) * 2 > keys.length) {
            long[] oldKeys = keys;
            int[] oldValues = values;
            allocate(keys.length * 2);
            size = 0;
            for (int i = 0; i < oldKeys.length; i++) {
                if (oldKeys[i] != EMPTY) {
                    put(oldKeys[i], oldValues[i]);
                }
            }
        }
        int mask = keys.length - 1;
        for (int slot = slot(key); ; slot = (slot + 1) & mask) {
            if (keys[slot] == EMPTY) {
                keys[slot] = key;
                values[slot] = value;
                size++;
                return;
            }
            if (keys[slot] == key) {
                values[slot] = value;
                return;
            }
        }
    }

    /** The value for {@code key}, or {@code missing}. */
    int get(long key, int missing) {
        int mask = keys.length - 1;
        for (int slot = slot(key); ; slot = (slot + 1) & mask) {
            long k = keys[slot];
            if (k == key) {
                return values[slot];
            }
            if (k == EMPTY) {
                return missing;
            }
        }
    }

    private int slot(long key) {
        return (int) ((key * 0x9E3779B97F4A7C15L) >>> shift);
    }
}
