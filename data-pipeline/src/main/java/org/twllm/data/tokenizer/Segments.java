package org.twllm.data.tokenizer;

import java.util.Arrays;

/**
 * A segmenter's output for one normalized text: piece ids with the span of normalized chars each covers
 * (spans are needed to turn unknown pieces into byte-fallback pieces). Reused across calls on one thread.
 */
final class Segments {
    int[] ids = new int[128];
    int[] starts = new int[128];
    int[] lengths = new int[128];
    int count;

    void clear() {
        count = 0;
    }

    void add(int id, int start, int length) {
        if (count == ids.length) {
            int capacity = count * 2;
            ids = Arrays.copyOf(ids, capacity);
            starts = Arrays.copyOf(starts, capacity);
            lengths = Arrays.copyOf(lengths, capacity);
        }
        ids[count] = id;
        starts[count] = start;
        lengths[count] = length;
        count++;
    }
}
