package org.twllm.core.checkpoint;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A directory that appears all at once or not at all: its files are written into a temporary sibling
 * {@code .tmp-<name>}, fsynced, and the sibling is renamed to {@code <name>} (an atomic rename on one
 * file system). A crash before the rename leaves only the temporary sibling, which
 * {@link #sweepStale(Path)} removes on the next start; a crash after it leaves the complete directory.
 */
final class AtomicDirectory {
    static final String TEMP_PREFIX = ".tmp-";

    private AtomicDirectory() {
    }

    /** The temporary sibling for {@code target} (the same name on every rank, so ranks can share it). */
    static Path tempFor(Path target) {
        return target.resolveSibling(TEMP_PREFIX + target.getFileName());
    }

    /** Creates an empty temporary sibling for {@code target}, replacing a stale one. */
    static Path begin(Path target) throws IOException {
        Path temp = tempFor(target);
        deleteRecursively(temp);
        Files.createDirectories(temp);
        return temp;
    }

    /** Fsyncs every file in {@code temp} and the directory itself, renames it to {@code target}, fsyncs the parent. */
    static void commit(Path temp, Path target) throws IOException {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(temp)) {
            for (Path f : files) {
                if (Files.isRegularFile(f)) {
                    fsync(f, false);
                }
            }
        }
        fsync(temp, true);
        if (Files.exists(target)) {
            throw new IOException(target + " already exists");
        }
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("the file system of " + target.getParent() + " cannot rename atomically", e);
        }
        fsync(target.getParent(), true);
    }

    /** Removes {@code dir} in a way a crash cannot leave half done under its name: rename away, then delete. */
    static void removeAtomically(Path dir) throws IOException {
        Path doomed = dir.resolveSibling(TEMP_PREFIX + "deleting-" + dir.getFileName());
        deleteRecursively(doomed);
        Files.move(dir, doomed, StandardCopyOption.ATOMIC_MOVE);
        deleteRecursively(doomed);
    }

    /** Deletes every temporary sibling left in {@code parent} by a crashed save or deletion. */
    static void sweepStale(Path parent) throws IOException {
        if (!Files.isDirectory(parent)) {
            return;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(parent, TEMP_PREFIX + "*")) {
            for (Path e : entries) {
                deleteRecursively(e);
            }
        }
    }

    static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static void fsync(Path path, boolean directory) throws IOException {
        try (FileChannel ch = FileChannel.open(path, directory ? StandardOpenOption.READ : StandardOpenOption.WRITE)) {
            ch.force(true);
        }
    }
}
