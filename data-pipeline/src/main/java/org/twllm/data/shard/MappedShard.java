package org.twllm.data.shard;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
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

    static TwllmException corrupt(Path file, String why) {
        return new TwllmException("shard " + file + " is unusable: " + why
                + "; re-run 'twllm data prepare' to rewrite the shards");
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

    /** CRC32C of the body (bytes 64 .. end), the value the header and manifest record. */
    int bodyCrc() {
        CRC32C crc = new CRC32C();
        long skip = ShardHeader.BYTES;
        for (MappedByteBuffer w : windows) {
            ByteBuffer view = w.duplicate();
            int skipHere = (int) Math.min(skip, view.limit());
            view.position(skipHere);
            skip -= skipHere;
            crc.update(view);
        }
        return (int) crc.getValue();
    }
}
