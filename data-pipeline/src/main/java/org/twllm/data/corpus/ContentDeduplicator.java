package org.twllm.data.corpus;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Exact-duplicate detection by content hash: the first 128 bits of SHA-256 of the document's UTF-8 text,
 * taken as is (no normalization). Hashes live in an open-addressing table of longs, 16 bytes per document
 * at most half full (about 32 bytes per kept document), so a 100M-document corpus needs about 3.2 GB.
 */
public final class ContentDeduplicator {
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    });

    private long[] slots = new long[2 * 1024];
    private int size;

    /** 128-bit content hash of a text as two longs; thread-safe, so workers can hash while one thread records. */
    public static long[] hash(String text) {
        ByteBuffer digest = ByteBuffer.wrap(SHA256.get().digest(text.getBytes(StandardCharsets.UTF_8)));
        return new long[] {digest.getLong(0), digest.getLong(8)};
    }

    /** Records the text; returns false when an identical text was seen before. */
    public boolean firstTime(String text) {
        long[] h = hash(text);
        return firstTime(h[0], h[1]);
    }

    /** Records a {@link #hash}; returns false when it was recorded before. */
    public boolean firstTime(long hi, long lo) {
        return add(hi, lo);
    }

    /** Number of distinct texts seen. */
    public int size() {
        return size;
    }

    private boolean add(long hi, long lo) {
        if (hi == 0 && lo == 0) {
            lo = 1; // (0, 0) marks an empty slot; a real hash of all zeros is astronomically unlikely
        }
        if (2 * (size + 1) > slots.length / 2) {
            grow();
        }
        int mask = slots.length / 2 - 1;
        for (int i = (int) (lo ^ (lo >>> 32)) & mask; ; i = (i + 1) & mask) {
            long a = slots[2 * i];
            long b = slots[2 * i + 1];
            if (a == 0 && b == 0) {
                slots[2 * i] = hi;
                slots[2 * i + 1] = lo;
                size++;
                return true;
            }
            if (a == hi && b == lo) {
                return false;
            }
        }
    }

    private void grow() {
        long[] old = slots;
        slots = new long[old.length * 2];
        size = 0;
        for (int i = 0; i < old.length; i += 2) {
            if (old[i] != 0 || old[i + 1] != 0) {
                add(old[i], old[i + 1]);
            }
        }
    }
}
