package org.twllm.data.shard;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.IntBuffer;
import java.nio.ShortBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

import org.twllm.errors.TwllmException;

/**
 * One shard file, memory-mapped read-only in windows of at most 1 GiB (a single mapping cannot exceed
 * 2 GiB), so shards of any size are read without loading them into the heap. The operating system pages
 * data in and out; the process's memory stays flat however large the corpus is. Reads are thread-safe.
 */
final class MappedShard {
    /** Windows of 1 GiB; tests use smaller ones to exercise reads across window edges. */
    static final int DEFAULT_WINDOW_SHIFT = 30;
    /** Bytes per slice of {@link #scanBody}: small enough to stay in cache, large enough to amortise the loop. */
    private static final int SCAN_SLICE = 1 << 20;

    private final int windowShift;
    private final long windowMask;
    private final Path file;
    private final ShardHeader header;
    private final MappedByteBuffer[] windows;
    private final long tokensOffset;
    private final long boundariesOffset;
    private final long maskOffset;

    private MappedShard(Path file, ShardHeader header, MappedByteBuffer[] windows, int windowShift) {
        this.windowShift = windowShift;
        this.windowMask = (1L << windowShift) - 1;
        this.file = file;
        this.header = header;
        this.windows = windows;
        this.tokensOffset = header.tokensOffset();
        this.boundariesOffset = header.boundariesOffset();
        this.maskOffset = header.maskOffset();
    }

    /**
     * Maps {@code file} and checks its header and size (cheap; the body checksum is {@link #verifyBody}).
     * Every problem is a {@link TwllmException} naming the file and what to do.
     */
    static MappedShard open(Path file) {
        return open(file, DEFAULT_WINDOW_SHIFT);
    }

    /** {@link #open(Path)} with windows of {@code 2^windowShift} bytes (at least 2^3, so no value straddles two). */
    static MappedShard open(Path file, int windowShift) {
        if (windowShift < 3 || windowShift > 30) {
            throw new IllegalArgumentException("window shift " + windowShift + " is outside [3, 30]");
        }
        long window = 1L << windowShift;
        long size;
        try {
            size = Files.size(file);
        } catch (NoSuchFileException e) {
            throw corrupt(file, "it is missing");
        } catch (IOException e) {
            throw new TwllmException("cannot read shard " + file + ": " + e.getMessage(), e);
        }
        MappedByteBuffer[] windows;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            int count = Math.toIntExact((size + window - 1) >>> windowShift);
            windows = new MappedByteBuffer[count];
            for (int i = 0; i < count; i++) {
                long start = (long) i << windowShift;
                windows[i] = ch.map(FileChannel.MapMode.READ_ONLY, start, Math.min(window, size - start));
                windows[i].order(ByteOrder.LITTLE_ENDIAN);
            }
        } catch (IOException e) {
            throw new TwllmException("cannot map shard " + file + ": " + e.getMessage(), e);
        }
        if (windows.length == 0) {
            throw corrupt(file, "it is empty");
        }
        ShardHeader.Parsed parsed = ShardHeader.decode(headerBytes(windows));
        if (parsed.problem() != null) {
            throw corrupt(file, parsed.problem());
        }
        ShardHeader h = parsed.header();
        if (h.fileBytes() != size) {
            throw corrupt(file, "it is " + size + " bytes but its header says " + h.fileBytes()
                    + (size < h.fileBytes() ? " (truncated)" : ""));
        }
        MappedShard shard = new MappedShard(file, h, windows, windowShift);
        if (shard.boundary(0) != 0 || shard.boundary(h.numDocuments()) != h.numTokens()) {
            throw corrupt(file, "its document boundaries do not span its " + h.numTokens() + " tokens");
        }
        return shard;
    }

    /** The first header bytes, gathered across windows (a tiny test window may be smaller than the header). */
    private static ByteBuffer headerBytes(MappedByteBuffer[] windows) {
        ByteBuffer header = ByteBuffer.allocate(ShardHeader.BYTES);
        for (MappedByteBuffer w : windows) {
            ByteBuffer view = w.duplicate();
            view.limit(Math.min(view.limit(), header.remaining()));
            header.put(view);
            if (!header.hasRemaining()) {
                break;
            }
        }
        return header.flip();
    }

    static ShardCorruptionException corrupt(Path file, String why) {
        return new ShardCorruptionException(file, "shard", why);
    }

    Path file() {
        return file;
    }

    ShardHeader header() {
        return header;
    }

    /** Local token offset where local document {@code doc} starts ({@code doc == numDocuments} gives numTokens). */
    long boundary(long doc) {
        long pos = boundariesOffset + 8 * doc;
        return windows[(int) (pos >>> windowShift)].getLong((int) (pos & windowMask));
    }

    /** Copies local tokens {@code [from, from + length)} into {@code dst[offset..]}. */
    void readTokens(long from, int[] dst, int offset, int length) {
        int width = header.tokenBytes();
        while (length > 0) {
            // The run of tokens inside one window, read in bulk through a view of that window.
            long pos = tokensOffset + width * from;
            int window = (int) (pos >>> windowShift);
            int inWindow = (int) (pos & windowMask);
            int n = (int) Math.min(length, (windows[window].limit() - inWindow) / width);
            ByteBuffer view = windows[window].duplicate().order(ByteOrder.LITTLE_ENDIAN).position(inWindow);
            if (width == 2) {
                ShortBuffer ids = view.asShortBuffer();
                for (int i = 0; i < n; i++) {
                    dst[offset + i] = Short.toUnsignedInt(ids.get(i));
                }
            } else {
                view.asIntBuffer().get(dst, offset, n);
            }
            from += n;
            offset += n;
            length -= n;
        }
    }

    /** Copies the loss mask of local tokens {@code [from, from + length)} into {@code dst[offset..]}. */
    void readLossMask(long from, boolean[] dst, int offset, int length) {
        for (int i = 0; i < length; i++) {
            long t = from + i;
            long pos = maskOffset + (t >>> 3);
            byte b = windows[(int) (pos >>> windowShift)].get((int) (pos & windowMask));
            dst[offset + i] = ((b >>> (t & 7)) & 1) != 0;
        }
    }

    /** What one pass over the body found: its CRC32C, and the first token id outside the vocabulary (-1: none). */
    record BodyScan(int crc, long badToken, long badId) {
    }

    /**
     * One pass over the body (bytes 64 .. end): its CRC32C, the value the header and manifest record, and
     * the first token id at or above {@code vocabSize}. Read in slices, so both checks use each page while
     * it is in the CPU cache and a corpus larger than memory is read from disk once.
     */
    BodyScan scanBody(int vocabSize) {
        CRC32C crc = new CRC32C();
        int width = header.tokenBytes();
        long tokensEnd = tokensOffset + (long) width * header.numTokens();
        long end = header.fileBytes();
        long badToken = -1;
        long badId = -1;
        for (long pos = ShardHeader.BYTES; pos < end; ) {
            int window = (int) (pos >>> windowShift);
            int inWindow = (int) (pos & windowMask);
            int n = (int) Math.min(SCAN_SLICE, Math.min(windows[window].limit() - inWindow, end - pos));
            ByteBuffer slice = windows[window].duplicate().position(inWindow).limit(inWindow + n);
            if (badToken < 0 && pos < tokensEnd) {
                ByteBuffer ids = slice.duplicate().order(ByteOrder.LITTLE_ENDIAN);
                ids.limit(inWindow + (int) Math.min(n, tokensEnd - pos));
                int at = firstOutside(ids, width, vocabSize);
                if (at >= 0) {
                    badToken = (pos - tokensOffset) / width + at;
                    badId = width == 2 ? Short.toUnsignedLong(ids.getShort(inWindow + at * 2))
                            : Integer.toUnsignedLong(ids.getInt(inWindow + at * 4));
                }
            }
            crc.update(slice);
            pos += n;
        }
        return new BodyScan((int) crc.getValue(), badToken, badId);
    }

    /** Index of the first id in {@code ids} (remaining bytes, little-endian) at or above {@code vocabSize}, or -1. */
    private static int firstOutside(ByteBuffer ids, int width, int vocabSize) {
        if (width == 2) {
            ShortBuffer s = ids.asShortBuffer();
            for (int i = 0, n = s.remaining(); i < n; i++) {
                if (Short.toUnsignedInt(s.get(i)) >= vocabSize) {
                    return i;
                }
            }
        } else {
            IntBuffer s = ids.asIntBuffer();
            for (int i = 0, n = s.remaining(); i < n; i++) {
                if (Integer.compareUnsigned(s.get(i), vocabSize) >= 0) {
                    return i;
                }
            }
        }
        return -1;
    }

    /** The local document holding local token {@code token} (binary search over the boundaries). */
    long documentAt(long token) {
        long lo = 0;
        long hi = header.numDocuments() - 1;
        while (lo < hi) {
            long mid = (lo + hi + 1) >>> 1;
            if (boundary(mid) <= token) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }
}
