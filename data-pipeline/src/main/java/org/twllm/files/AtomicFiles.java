package org.twllm.files;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

import org.twllm.errors.TwllmException;

/**
 * Crash-safe writes, the one way twllm puts a file or a directory in place: write a temporary sibling,
 * fsync it, rename it over the target atomically, fsync the parent directory. A reader (or a run after a
 * crash or SIGKILL at any moment) sees either the old content or the complete new one, never a partial
 * write, and once a method returns the new content survives a power loss.
 *
 * <p>Temporary siblings are named {@code .NAME.<unique>.tmp} (see {@link #isTemporary}); writers that
 * own a directory delete stale ones left by a crash. Failures throw {@link TwllmException} naming the file.
 */
public final class AtomicFiles {
    /** Suffix of temporary siblings; readers never open such files. */
    private static final String TEMP_SUFFIX = ".tmp";

    private AtomicFiles() {
    }

    /** Writes whatever {@code body} writes to one channel. */
    @FunctionalInterface
    public interface ChannelWriter {
        void writeTo(FileChannel channel) throws IOException;
    }

    /** Writes {@code bytes} to {@code target} atomically, creating its parent directories. */
    public static void write(Path target, byte[] bytes) {
        write(target, channel -> {
            ByteBuffer buffer = ByteBuffer.wrap(bytes);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
        });
    }

    /** Writes {@code text} as UTF-8 to {@code target} atomically. */
    public static void write(Path target, String text) {
        write(target, text.getBytes(StandardCharsets.UTF_8));
    }

    /** Writes what {@code body} writes to {@code target} atomically, creating its parent directories. */
    public static void write(Path target, ChannelWriter body) {
        Path temp = null;
        try {
            Files.createDirectories(target.toAbsolutePath().getParent());
            temp = tempSibling(target);
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                body.writeTo(channel);
                channel.force(true);
            }
            commit(temp, target);
            temp = null;
        } catch (IOException e) {
            throw new TwllmException("cannot write " + target + ": " + e.getMessage(), e);
        } finally {
            deleteQuietly(temp);
        }
    }

    /**
     * A fresh temporary sibling name for {@code target}, {@code .NAME.<unique>.tmp} in the same directory
     * (unique, so processes writing the same file at once never share one), for a file written in pieces
     * and then put in place by {@link #commit}.
     */
    public static Path tempSibling(Path target) {
        String unique = ProcessHandle.current().pid() + "-" + Long.toHexString(ThreadLocalRandom.current().nextLong());
        return target.resolveSibling("." + target.getFileName() + "." + unique + TEMP_SUFFIX);
    }

    /** Whether {@code file}'s name is that of a temporary sibling. */
    public static boolean isTemporary(Path file) {
        String name = file.getFileName().toString();
        return name.startsWith(".") && name.endsWith(TEMP_SUFFIX);
    }

    /** Renames a complete, already fsynced {@code temp} file over {@code target} and makes the rename durable. */
    public static void commit(Path temp, Path target) {
        rename(temp, target, true);
    }

    /**
     * Puts a complete directory {@code temp} in place as {@code target}, which must not exist: fsyncs every
     * file in it and the directory itself, renames it, and fsyncs the parent.
     */
    public static void commitDirectory(Path temp, Path target) {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(temp)) {
            for (Path f : files) {
                if (Files.isRegularFile(f)) {
                    fsync(f);
                }
            }
            fsyncDirectory(temp);
        } catch (IOException e) {
            throw new TwllmException("cannot write " + target + ": " + e.getMessage(), e);
        }
        if (Files.exists(target)) {
            throw new TwllmException("cannot write " + target + ": it already exists");
        }
        rename(temp, target, false);
    }

    /** Forces a file's content to disk (opened for reading, so read-only files such as a copied tokenizer work). */
    public static void fsync(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    /** Makes renames inside {@code dir} durable (a no-op on Windows, which cannot open a directory). */
    public static void fsyncDirectory(Path dir) throws IOException {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            if (Files.isDirectory(dir) && System.getProperty("os.name", "").startsWith("Windows")) {
                return; // the rename itself is still atomic there
            }
            throw e;
        }
    }

    private static void rename(Path temp, Path target, boolean replace) {
        try {
            if (replace) {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } else {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
            }
            fsyncDirectory(target.toAbsolutePath().getParent());
        } catch (AtomicMoveNotSupportedException e) {
            throw new TwllmException("cannot write " + target + ": its file system cannot rename atomically; put it on a"
                    + " local or POSIX file system", e);
        } catch (IOException e) {
            throw new TwllmException("cannot write " + target + ": " + e.getMessage(), e);
        }
    }

    private static void deleteQuietly(Path temp) {
        if (temp == null) {
            return;
        }
        try {
            Files.deleteIfExists(temp);
        } catch (IOException ignored) {
            // A leftover temporary sibling is never read and is swept by its directory's writer.
        }
    }
}
