package org.twllm.core.checkpoint;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.ThreadLocalRandom;

import org.twllm.files.AtomicFiles;
import org.twllm.files.FileTrees;

/**
 * The life of a checkpoint or export directory that appears all at once or not at all: its files are
 * written into a temporary sibling {@code .tmp-<name>.<token>}, which {@link AtomicFiles#commitDirectory}
 * fsyncs and renames to {@code <name>}. A crash before the rename leaves only the temporary sibling, which
 * {@link #sweepStale(Path)} removes on the next start; a crash after it leaves the complete directory.
 * The token is unique to the writing process (its pid and a random number; the ranks of one job share
 * rank 0's), so two processes never write into one temporary directory, even where no lock keeps them apart.
 */
final class AtomicDirectory {
    static final String TEMP_PREFIX = ".tmp-";

    private AtomicDirectory() {
    }

    /** A token unique to this process: its pid and 32 random bits, as a number below 2^53 (it fits in a double). */
    static long processToken() {
        return (ProcessHandle.current().pid() & 0xFFFFFL) << 32 | ThreadLocalRandom.current().nextInt() & 0xFFFFFFFFL;
    }

    /** The temporary sibling for {@code target} of the writer with {@code token}. */
    static Path tempFor(Path target, long token) {
        return target.resolveSibling(TEMP_PREFIX + target.getFileName() + "." + Long.toHexString(token));
    }

    /** Creates an empty temporary sibling for {@code target}. */
    static Path begin(Path target, long token) throws IOException {
        Path temp = tempFor(target, token);
        FileTrees.deleteRecursively(temp);
        Files.createDirectories(temp);
        return temp;
    }

    /** Removes {@code dir} in a way a crash cannot leave half done under its name: rename away, then delete. */
    static void removeAtomically(Path dir) throws IOException {
        Path doomed = dir.resolveSibling(TEMP_PREFIX + "deleting-" + dir.getFileName() + "." + Long.toHexString(processToken()));
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
