package org.twllm.data.loader;

import org.twllm.errors.ConfigException;

import java.util.SplittableRandom;

/**
 * The order in which one epoch visits a dataset's samples: a function of (seed, epoch) only, never of the
 * world size or of what ran before. Without shuffling it is the identity. With shuffling, epoch e's order
 * is a Fisher–Yates permutation (for i = N-1 down to 1, swap i with {@code nextInt(i + 1)}) drawn from
 * {@link SplittableRandom} seeded with {@code mix64(seed + 0x9E3779B97F4A7C15 * (e + 1))}, where
 * {@code mix64} is SplitMix64's finalizer; so each epoch has its own order and a resumed run rebuilds it
 * exactly. The last two epochs' permutations are cached (a global batch can straddle an epoch boundary);
 * building one costs O(N) time and 4N bytes.
 */
public final class GlobalSampleOrder {
    private final long size;
    private final long seed;
    private final boolean shuffle;
    private final long[] cachedEpochs = {-1, -1};
    private final int[][] cachedOrders = new int[2][];
    private int nextSlot;

    public GlobalSampleOrder(long size, long seed, boolean shuffle) {
        if (size < 1) {
            throw new ConfigException("The dataset has no samples; check the data paths and that seq_len is not longer than the data.");
        }
        if (shuffle && size > Integer.MAX_VALUE - 8) {
            throw new ConfigException("Shuffling " + size + " samples is more than one permutation holds; split the dataset.");
        }
        this.size = size;
        this.seed = seed;
        this.shuffle = shuffle;
    }

    public long size() {
        return size;
    }

    /** The dataset index visited at {@code position} (0 <= position < size) of {@code epoch}. */
    public long sampleAt(long epoch, long position) {
        if (epoch < 0 || position < 0 || position >= size) {
            throw new IndexOutOfBoundsException("epoch " + epoch + " position " + position + " of " + size);
        }
        return shuffle ? permutation(epoch)[(int) position] : position;
    }

    private synchronized int[] permutation(long epoch) {
        for (int slot = 0; slot < 2; slot++) {
            if (cachedEpochs[slot] == epoch) {
                return cachedOrders[slot];
            }
        }
        int[] order = shuffled((int) size, new SplittableRandom(mix64(seed + 0x9E3779B97F4A7C15L * (epoch + 1))));
        cachedEpochs[nextSlot] = epoch;
        cachedOrders[nextSlot] = order;
        nextSlot ^= 1;
        return order;
    }

    private static int[] shuffled(int n, SplittableRandom random) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int swap = order[i];
            order[i] = order[j];
            order[j] = swap;
        }
        return order;
    }

    /** SplitMix64's finalizer: spreads nearby seeds (seed, seed + 1, ...) over unrelated streams. */
    static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
