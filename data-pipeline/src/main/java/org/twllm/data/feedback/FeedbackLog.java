package org.twllm.data.feedback;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.twllm.files.AtomicFiles;
import org.twllm.errors.ConfigException;
import org.twllm.errors.TwllmException;

/**
 * Appends ratings to a feedback log (JSON Lines), each one on disk before {@link #append} returns: the
 * line goes out in one write and is fsynced, so a rating that was acknowledged survives a kill of the
 * process. One writer per file: the log is locked while open. A line left half-written by a crash
 * (never acknowledged) is moved to a side file when the log is opened, so the log stays readable.
 */
public final class FeedbackLog implements Closeable {
    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;
    private final Path setAside;

    private FeedbackLog(Path file, FileChannel channel, FileLock lock, Path setAside) {
        this.file = file;
        this.channel = channel;
        this.lock = lock;
        this.setAside = setAside;
    }

    /** Opens (creating it and its folder if needed) and locks the log at {@code file}. */
    public static FeedbackLog open(Path file) {
        Path absolute = file.toAbsolutePath().normalize();
        FileChannel channel = null;
        try {
            Files.createDirectories(absolute.getParent());
            channel = FileChannel.open(absolute, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                throw new ConfigException("the feedback log " + absolute + " is in use by another twllm serve: stop it or give another --feedback-log");
            }
            Path setAside = setAsideTornLine(absolute, channel);
            channel.position(channel.size());
            return new FeedbackLog(absolute, channel, lock, setAside);
        } catch (IOException e) {
            closeQuietly(channel);
            throw new ConfigException("cannot open the feedback log " + absolute + " for writing (" + e.getMessage()
                    + "): check the path and its permissions, or give another --feedback-log");
        } catch (RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    public Path file() {
        return file;
    }

    /** Where an unfinished last line found at open was moved, or null when the log ended cleanly. */
    public Path setAside() {
        return setAside;
    }

    /** Writes {@code record} as one line and fsyncs it. A failed write is cut off again, so no torn line stays behind. */
    public synchronized void append(FeedbackRecord record) {
        byte[] line = (record.toJsonLine() + "\n").getBytes(StandardCharsets.UTF_8);
        long before = -1;
        try {
            before = channel.size();
            ByteBuffer buffer = ByteBuffer.wrap(line);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            channel.force(false);
        } catch (IOException e) {
            try {
                if (before >= 0) {
                    channel.truncate(before);
                    channel.position(before);
                }
            } catch (IOException ignored) {
                // the next open sets an unfinished line aside
            }
            throw new TwllmException("cannot write the rating to the feedback log " + file + ": " + e.getMessage()
                    + "; check the disk (free space, permissions)", e);
        }
    }

    @Override
    public synchronized void close() {
        try {
            lock.release();
            channel.close();
        } catch (IOException e) {
            throw new TwllmException("cannot close the feedback log " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * When the log does not end with a line break, its last line was being written when a process died:
     * that line is copied to {@code NAME.torn-<millis>} beside the log (fsynced) and cut from the log.
     */
    private static Path setAsideTornLine(Path file, FileChannel channel) throws IOException {
        long size = channel.size();
        if (size == 0 || endsWithNewline(channel, size)) {
            return null;
        }
        long start = size - 1;
        ByteBuffer one = ByteBuffer.allocate(1);
        while (start > 0) {
            one.clear();
            channel.read(one, start - 1);
            if (one.get(0) == '\n') {
                break;
            }
            start--;
        }
        ByteBuffer torn = ByteBuffer.allocate(Math.toIntExact(size - start));
        while (torn.hasRemaining()) {
            if (channel.read(torn, start + torn.position()) < 0) {
                break;
            }
        }
        Path aside = file.resolveSibling(file.getFileName() + ".torn-" + System.currentTimeMillis());
        AtomicFiles.write(aside, torn.array());
        channel.truncate(start);
        channel.force(true);
        return aside;
    }

    private static boolean endsWithNewline(FileChannel channel, long size) throws IOException {
        ByteBuffer last = ByteBuffer.allocate(1);
        channel.read(last, size - 1);
        return last.get(0) == '\n';
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // already failing; the first error is the one reported
            }
        }
    }
}
