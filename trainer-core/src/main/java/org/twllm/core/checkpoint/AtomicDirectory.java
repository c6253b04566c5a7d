package org.twllm.core.checkpoint;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

import org.twllm.files.AtomicFiles;
import org.twllm.files.FileTrees;

/**
 * The life of a checkpoint or export directory that appears all at once or not at all: its files are
 * written into a temporary sibling {@code .tmp-<name>}, which {@link AtomicFiles#commitDirectory} fsyncs
 * and renames to {@code <name>}. A crash before the rename leaves only the temporary sibling, which
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
        FileTrees.deleteRecursively(temp);
        Files.createDirectories(temp);
        return temp;
    }

    /** Removes {@code dir} in a way a crash cannot leave half done under its name: rename away, then delete. */
    static void removeAtomically(Path dir) throws IOException {
        Path doomed = dir.resolveSibling(TEMP_PREFIX + "deleting-" + dir.getFileName());
        FileTrees.deleteRecursively(doomed);
        Files.move(dir, doomed, StandardCopyOption.ATOMIC_MOVE);
        FileTrees.deleteRecursively(doomed);
    }

    /** Deletes every temporary sibling left in {@code parent} by a crashed save or deletion. */
    static void sweepStale(Path parent) throws IOException {
        if (!Files.isDirectory(parent)) {
            return;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(parent, TEMP_PREFIX + "*")) {
            for (Path e : entries) {
                FileTrees.deleteRecursively(e);
            }
        }
    }
}
