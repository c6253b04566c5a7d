package org.twllm.dist.transport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

import org.twllm.errors.TwllmException;
import org.twllm.files.FileTrees;

/**
 * Unique directories for embedded media drivers. Aeron's {@code dirDeleteOnStart} wipes whatever
 * directory it is given, even a live driver's, so every driver gets its own
 * {@code twllm-aeron-<pid>-<tag>-<random>} directory; directories whose process is gone are swept
 * before a new one is made (a killed rank cannot clean up after itself).
 */
public final class DriverDirectories {
    static final String PREFIX = "twllm-aeron-";

    private DriverDirectories() {
    }

    /** {@code /dev/shm} where it exists (term buffers in memory), else the temp directory. */
    public static Path defaultBaseDir() {
        Path shm = Paths.get("/dev/shm");
        if (Files.isDirectory(shm) && Files.isWritable(shm)) {
            return shm;
        }
        return Paths.get(System.getProperty("java.io.tmpdir"));
    }

    /** A fresh directory name for a driver of this process (not created; the driver creates it). */
    public static Path newUniqueDir(Path baseDir, String tag) {
        long pid = ProcessHandle.current().pid();
        String random = Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
        return baseDir.resolve(PREFIX + pid + "-" + tag + "-" + random);
    }

    /** Deletes driver directories under {@code baseDir} whose owning process no longer runs; returns how many. */
    public static int sweepStale(Path baseDir) {
        if (!Files.isDirectory(baseDir)) {
            return 0;
        }
        int swept = 0;
        try (Stream<Path> entries = Files.list(baseDir)) {
            for (Path dir : (Iterable<Path>) entries::iterator) {
                Long pid = ownerPid(dir.getFileName().toString());
                if (pid != null && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) == false) {
                    if (deleteQuietly(dir)) {
                        swept++;
                    }
                }
            }
        } catch (IOException e) {
            // Sweeping is best effort: a directory we cannot list or delete is left for the next run.
            return swept;
        }
        return swept;
    }

    static Long ownerPid(String name) {
        if (!name.startsWith(PREFIX)) {
            return null;
        }
        int end = name.indexOf('-', PREFIX.length());
        if (end < 0) {
            return null;
        }
        try {
            return Long.parseLong(name.substring(PREFIX.length(), end));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /**
     * Deletes a driver directory, best effort: one that cannot be deleted now is left for the next start's
     * sweep (once its process is gone). Returns whether it is gone.
     */
    public static boolean deleteQuietly(Path dir) {
        try {
            FileTrees.deleteRecursively(dir);
            return true;
        } catch (TwllmException e) {
            return false;
        }
    }
}
