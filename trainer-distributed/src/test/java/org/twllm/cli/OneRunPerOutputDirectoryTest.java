package org.twllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twllm.core.train.RunDirectoryLock;

/**
 * Issue 12 §3: two runs on one output directory used to share its temporary checkpoint and leave it mixed.
 * Now the first holds an OS lock for the whole run; a second exits 2 at once naming the holder and
 * touches nothing; once the holder is killed, the next run takes the lock over with a note.
 */
class OneRunPerOutputDirectoryTest {
    /** Waits until the run in {@code dir} has written {@code lines} metrics lines (it is training). */
    private static void awaitSteps(Path runDir, int lines, Process run, Path log) throws Exception {
        Path metrics = runDir.resolve("metrics.jsonl");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!Files.exists(metrics) || Files.readAllLines(metrics).size() < lines) {
            assertTrue(run.isAlive() && System.nanoTime() < deadline, "the first run never got going:\n" + Files.readString(log));
            Thread.sleep(100);
        }
    }

    private static String[] train(Path cfg, String... extra) {
        String[] base = {"train", "--stage", "cpt", "--config", cfg.toString()};
        String[] all = java.util.Arrays.copyOf(base, base.length + extra.length);
        System.arraycopy(extra, 0, all, base.length, extra.length);
        return all;
    }

    @Test
    void aSecondRunIsRefusedAtOnceAndADeadHoldersLockIsTakenOver(@TempDir Path dir) throws Exception {
        Path cfg = CliRun.tinyCpt(dir, "checkpoint:\n  save_steps: 3\n");
        Path run = dir.resolve("run");
        Path log = dir.resolve("first.log");
        Process first = CliRun.startChildJvm(log, train(cfg, "--set", "training.max_steps=100000"));
        try {
            awaitSteps(run, 4, first, log);
            String config = Files.readString(run.resolve("stage_config.yaml"));
            long started = System.nanoTime();
            CliRun second = CliRun.of(train(cfg, "--set", "training.max_steps=100000", "--set", "training.learning_rate=5.0e-4"));
            double seconds = (System.nanoTime() - started) / 1e9;
            assertEquals(Main.EXIT_USAGE, second.code(), second.all());
            assertTrue(second.err().contains(run + " is in use by another twllm run (pid " + first.pid() + " on host "), second.all());
            assertTrue(seconds < 5, "refused at once, not after loading model and data: " + seconds + " s");
            assertEquals(config, Files.readString(run.resolve("stage_config.yaml")), "the refused run wrote nothing");
        } finally {
            first.destroyForcibly().waitFor(); // SIGKILL: the lock file still names it
        }
        CliRun next = CliRun.of(train(cfg, "--set", "training.max_steps=8"));
        assertEquals(Main.EXIT_OK, next.code(), next.all());
        assertTrue(next.err().contains("taking over " + run) && next.err().contains("pid " + first.pid())
                && next.err().contains("no longer running"), next.all());
        assertEquals(0, Files.size(run.resolve(RunDirectoryLock.FILE_NAME)), "released at the end");
    }

    @Test
    void theLauncherOfNprocWorkersHoldsTheLockForThemAndTheyStopWithIt(@TempDir Path dir) throws Exception {
        Path cfg = CliRun.tinyCpt(dir, "");
        Path run = dir.resolve("run");
        Path log = dir.resolve("launcher.log");
        Process launcher = CliRun.startChildJvm(log, train(cfg, "--nproc", "2", "--set", "training.max_steps=100000",
                "--set", "distributed.transport.port_base=" + (20000 + (int) (Math.random() * 20000))));
        try {
            awaitSteps(run, 2, launcher, log);
            CliRun second = CliRun.of(train(cfg));
            assertEquals(Main.EXIT_USAGE, second.code(), second.all());
            assertTrue(second.err().contains("pid " + launcher.pid() + " on host "), "the launcher holds it:\n" + second.all());
            var workers = launcher.children().toList();
            assertEquals(2, workers.size(), Files.readString(log));
            launcher.destroyForcibly().waitFor();
            for (ProcessHandle worker : workers) {
                worker.onExit().get(10, TimeUnit.SECONDS); // a worker without its launcher stops
            }
        } finally {
            launcher.children().forEach(ProcessHandle::destroyForcibly);
            launcher.destroyForcibly();
        }
        assertFalse(ProcessHandle.allProcesses().anyMatch(p -> p.parent().map(q -> q.pid() == launcher.pid()).orElse(false)));
    }

    @Test
    void aSweepHoldsItsDirectoryToo(@TempDir Path dir) throws Exception {
        Path sweepDir = dir.resolve("sweep");
        Path file = dir.resolve("sweep.yaml");
        Path cfg = CliRun.tinyCpt(dir, "");
        Files.writeString(file, "name: locked\noutput_dir: " + sweepDir + "\nvariants:\n  only:\n    - stage: cpt\n      config: "
                + cfg + "\n");
        try (RunDirectoryLock held = RunDirectoryLock.acquire(sweepDir, "another sweep")) {
            CliRun sweep = CliRun.of("sweep", "--config", file.toString());
            assertEquals(Main.EXIT_USAGE, sweep.code(), sweep.all());
            assertTrue(sweep.err().contains(sweepDir + " is in use by another twllm run") && sweep.err().contains("another sweep"),
                    sweep.all());
        }
    }
}
