package org.twllm.core.train;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.twllm.errors.ConfigException;

/**
 * One run's exclusive claim on its output directory (a training run's {@code run.output_dir}, a sweep's
 * folder): an OS file lock on {@code .twllm-run.lock}, held for the whole run, the file naming the holder
 * (pid, host, start time, what it runs). A second run on the directory is refused at once, naming the
 * holder. The operating system drops the lock when its holder dies, however it dies; a lock file still
 * naming a holder is then stale and is taken over with a note. The file is emptied, not deleted, on release,
 * so every run locks the same file.
 *
 * <p>In a job of several processes rank 0 holds it. {@code twllm train --nproc N} holds it in the launcher,
 * whose rank 0 worker finds its parent named as the holder and goes on without locking again.
 */
public final class RunDirectoryLock implements AutoCloseable {
    public static final String FILE_NAME = ".twllm-run.lock";
    private static final Logger LOG = LoggerFactory.getLogger(RunDirectoryLock.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * Directories this JVM holds. A second channel on a locked file must never be opened in the same JVM:
     * closing it would drop the POSIX lock the first one holds.
     */
    private static final Map<Path, Holder> HELD = new ConcurrentHashMap<>();

    private final Path dir;
    private final FileChannel channel;
    private final FileLock lock;

    private RunDirectoryLock(Path dir, FileChannel channel, FileLock lock) {
        this.dir = dir;
        this.channel = channel;
        this.lock = lock;
    }

    /** Who holds (or last held) a directory. */
    record Holder(long pid, String host, String started, String command) {
        static Holder thisProcess(String command) {
            return new Holder(ProcessHandle.current().pid(), hostName(), Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(),
                    command);
        }

        /** Whether the holder is this process's parent on this host (the launcher of a --nproc job). */
        boolean isParentOfThisProcess() {
            return host.equals(hostName()) && ProcessHandle.current().parent().map(p -> p.pid() == pid).orElse(false);
        }

        String describe() {
            return "pid " + pid + " on host " + host + ", started " + started + (command.isEmpty() ? "" : ", running " + command);
        }

        byte[] toJson() {
            return JSON.createObjectNode().put("pid", pid).put("host", host).put("started", started).put("command", command)
                    .toString().getBytes(StandardCharsets.UTF_8);
        }

        /** The holder a lock file names, or null for an empty (released) or unreadable file. */
        static Holder parse(byte[] content) {
            try {
                JsonNode n = JSON.readTree(content);
                return n == null || !n.has("pid") ? null : new Holder(n.path("pid").asLong(), n.path("host").asText(""),
                        n.path("started").asText(""), n.path("command").asText(""));
            } catch (IOException e) {
                return null;
            }
        }
    }

    /**
     * Claims {@code dir} (created if missing) for this process, which runs {@code command} (shown to a run
     * that finds it busy).
     *
     * @throws ConfigException naming the holder when another process, or this one, holds it
     */
    public static RunDirectoryLock acquire(Path dir, String command) {
        Path key = dir.toAbsolutePath().normalize();
        Holder mine = Holder.thisProcess(command);
        Holder already = HELD.putIfAbsent(key, mine);
        if (already != null) {
            throw busy(key, already);
        }
        try {
            return lock(key, mine);
        } catch (RuntimeException e) {
            HELD.remove(key);
            throw e;
        }
    }

    private static RunDirectoryLock lock(Path dir, Holder mine) {
        Path file = dir.resolve(FILE_NAME);
        FileChannel channel = null;
        try {
            Files.createDirectories(dir);
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (IOException unsupported) {
                LOG.warn("cannot lock {} ({}): its file system offers no file locks, so nothing stops a second run on"
                        + " this directory; make sure only one runs", dir, unsupported.getMessage());
                channel.close();
                return new RunDirectoryLock(dir, null, null);
            }
            Holder previous = Holder.parse(readAll(channel));
            if (lock == null) {
                channel.close();
                if (previous != null && previous.isParentOfThisProcess()) {
                    return new RunDirectoryLock(dir, null, null); // the launcher of this job holds it for its ranks
                }
                throw busy(dir, previous);
            }
            if (previous != null) {
                LOG.info("taking over {}: the run that held it ({}) is no longer running", dir, previous.describe());
            }
            channel.truncate(0);
            channel.write(ByteBuffer.wrap(mine.toJson()), 0);
            channel.force(true);
            return new RunDirectoryLock(dir, channel, lock);
        } catch (IOException e) {
            closeQuietly(channel);
            throw new ConfigException("cannot lock " + file + " (" + e.getMessage() + "): check that " + dir
                    + " is a writable directory");
        }
    }

    private static ConfigException busy(Path dir, Holder holder) {
        return new ConfigException(dir + " is in use by another twllm run (" + (holder == null ? "holder unknown"
                : holder.describe()) + "): wait for it to finish or stop it, or give this run another directory");
    }

    private static byte[] readAll(FileChannel channel) throws IOException {
        ByteBuffer content = ByteBuffer.allocate((int) Math.min(channel.size(), 1 << 16));
        int read = 0;
        while (content.hasRemaining() && read >= 0) {
            read = channel.read(content, content.position());
        }
        return java.util.Arrays.copyOf(content.array(), content.position());
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            String env = System.getenv("HOSTNAME");
            return env != null ? env : "unknown";
        }
    }

    /** Releases the claim: the file is emptied (so the next run finds no holder), then unlocked. */
    @Override
    public void close() {
        if (channel != null) {
            try {
                channel.truncate(0);
                channel.force(true);
                lock.release();
            } catch (IOException e) {
                LOG.warn("cannot release the lock of {}: {}", dir, e.getMessage());
            } finally {
                closeQuietly(channel);
            }
        }
        HELD.remove(dir);
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                // closing after a failure; the OS drops the lock with the descriptor
            }
        }
    }
}
