package org.twllm.core.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twllm.errors.ConfigException;

/** Issue 12 §3: one run per output directory, by an OS lock naming its holder; a dead holder's lock is taken over. */
class RunDirectoryLockTest {
    @Test
    void aSecondClaimInThisProcessIsRefusedAndTheReleaseFreesTheDirectory(@TempDir Path dir) throws Exception {
        try (RunDirectoryLock first = RunDirectoryLock.acquire(dir, "first")) {
            ConfigException e = assertThrows(ConfigException.class, () -> RunDirectoryLock.acquire(dir.resolve("."), "second"));
            assertTrue(e.getMessage().contains("is in use by another twllm run (pid " + ProcessHandle.current().pid())
                    && e.getMessage().contains("running first") && e.getMessage().contains("another directory"), e.getMessage());
            assertTrue(Files.readString(dir.resolve(RunDirectoryLock.FILE_NAME)).contains("\"command\":\"first\""));
        }
        assertEquals(0, Files.size(dir.resolve(RunDirectoryLock.FILE_NAME)), "released: the file names no holder");
        RunDirectoryLock.acquire(dir, "third").close();
    }

    @Test
    void anotherProcessesClaimIsRefusedNamingItAndTakenOverOnceItIsKilled(@TempDir Path dir) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Process holder = new ProcessBuilder(List.of(java, "-Xmx64m", "-cp", cp, LockHolderChild.class.getName(), dir.toString()))
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("LOCKED", out.readLine());
            ConfigException e = assertThrows(ConfigException.class, () -> RunDirectoryLock.acquire(dir, "me"));
            assertTrue(e.getMessage().contains("pid " + holder.pid() + " on host ") && e.getMessage().contains("lock-holder-child"),
                    e.getMessage());
        } finally {
            holder.destroyForcibly().waitFor();
        }
        // SIGKILL left the file naming the dead holder; the OS dropped its lock.
        assertTrue(Files.readString(dir.resolve(RunDirectoryLock.FILE_NAME)).contains("\"pid\":" + holder.pid()));
        try (RunDirectoryLock mine = RunDirectoryLock.acquire(dir, "me")) {
            assertTrue(Files.readString(dir.resolve(RunDirectoryLock.FILE_NAME)).contains("\"pid\":" + ProcessHandle.current().pid()));
        }
    }
}
