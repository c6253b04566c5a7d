package org.twllm.dist.transport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Comparator;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

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
                    deleteRecursively(dir);
                    swept++;
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

    public static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            // Left behind; the next start's sweep removes it once this process is gone.
        }
    }
}
