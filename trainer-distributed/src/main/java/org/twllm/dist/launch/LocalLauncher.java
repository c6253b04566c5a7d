package org.twllm.dist.launch;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.twllm.dist.transport.EmbeddedDriver;
import org.twllm.dist.transport.TransportSettings;
import org.twllm.errors.TwllmException;

/**
 * {@code twllm train --nproc N}: runs N worker JVMs of this host as ranks 0..N-1 (torchrun-style
 * variables set), with one media driver in this process that all of them attach to (so neighbours talk
 * over IPC). Worker output is streamed line by line with a {@code [rank k]} prefix. When a worker fails,
 * the others are stopped and the launch fails naming the first rank that failed.
 */
public final class LocalLauncher {
    /** How long surviving ranks get to notice a failure and exit on their own before they are killed. */
    static final long GRACE_MS = 15_000;

    private LocalLauncher() {
    }

    /**
     * Runs {@code org.twllm.cli.Main} with {@code cliArgs} in {@code nproc} workers and waits for all of them.
     * Throws {@link TwllmException} naming the first rank that failed.
     */
    public static void launch(int nproc, List<String> cliArgs, PrintStream out) {
        if (nproc < 2) {
            throw new IllegalArgumentException("--nproc must be at least 2 to launch workers");
        }
        int masterPort = freePort();
        List<Process> workers = new ArrayList<>();
        List<Thread> pumps = new ArrayList<>();
        try (EmbeddedDriver driver = EmbeddedDriver.launch(TransportSettings.defaults(), "launcher")) {
            for (int rank = 0; rank < nproc; rank++) {
                Process p = start(rank, nproc, masterPort, driver.dir(), cliArgs);
                workers.add(p);
                pumps.add(pump(p, "[rank " + rank + "] ", out));
            }
            int failed = awaitAll(workers);
            for (Thread pump : pumps) {
                pump.join(5_000);
            }
            if (failed >= 0) {
                throw new TwllmException("rank " + failed + " of " + nproc + " failed with exit code " + workers.get(failed).exitValue()
                        + "; the other ranks were stopped (see the [rank " + failed + "] lines above)");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TwllmException("interrupted while running the workers");
        } finally {
            for (Process p : workers) {
                p.destroyForcibly();
            }
        }
    }

    private static Process start(int rank, int nproc, int masterPort, Path driverDir, List<String> cliArgs) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // The same JVM flags as ours (heap, --add-exports, ND4J limits), minus debugger/agent hooks.
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!arg.startsWith("-agentlib") && !arg.startsWith("-javaagent") && !arg.startsWith("-Xrunjdwp")) {
                command.add(arg);
            }
        }
        command.add("-cp");
        String testClassPath = System.getProperty("surefire.test.class.path");
        command.add(testClassPath != null && !testClassPath.isBlank() ? testClassPath : System.getProperty("java.class.path"));
        command.add("org.twllm.cli.Main");
        command.addAll(cliArgs);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("RANK", String.valueOf(rank));
        builder.environment().put("LOCAL_RANK", String.valueOf(rank));
        builder.environment().put("WORLD_SIZE", String.valueOf(nproc));
        builder.environment().put("LOCAL_WORLD_SIZE", String.valueOf(nproc));
        builder.environment().put("MASTER_ADDR", "127.0.0.1");
        builder.environment().put("MASTER_PORT", String.valueOf(masterPort));
        builder.environment().put(DataParallelFactory.AERON_DIR_VARIABLE, driverDir.toString());
        builder.environment().put(LauncherWatch.VARIABLE, String.valueOf(ProcessHandle.current().pid()));
        try {
            return builder.start();
        } catch (IOException e) {
            throw new TwllmException("cannot start worker for rank " + rank + ": " + e.getMessage(), e);
        }
    }

    private static Thread pump(Process p, String prefix, PrintStream out) {
        Thread t = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    synchronized (out) {
                        out.println(prefix + line);
                    }
                }
            } catch (IOException e) {
                // The worker is gone; its exit code tells what happened.
            }
        }, "twllm-log-" + prefix.trim());
        t.setDaemon(true);
        t.start();
        return t;
    }

    /**
     * Waits until all workers exited; returns -1 when all succeeded, else the first rank seen failing.
     * After a failure the others get {@link #GRACE_MS} to fail on their own (their own messages name the
     * dead rank), then are killed.
     */
    private static int awaitAll(List<Process> workers) throws InterruptedException {
        int failed = -1;
        long killAt = Long.MAX_VALUE;
        while (true) {
            boolean running = false;
            for (int rank = 0; rank < workers.size(); rank++) {
                Process p = workers.get(rank);
                if (p.isAlive()) {
                    running = true;
                } else if (failed < 0 && p.exitValue() != 0) {
                    failed = rank;
                    killAt = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(GRACE_MS);
                }
            }
            if (!running) {
                return failed;
            }
            if (System.nanoTime() > killAt) {
                for (Process p : workers) {
                    p.destroyForcibly();
                }
            }
            Thread.sleep(100);
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new TwllmException("cannot find a free port for the rendezvous: " + e.getMessage(), e);
        }
    }
}
