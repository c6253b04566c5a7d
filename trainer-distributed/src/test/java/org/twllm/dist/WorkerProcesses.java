package org.twllm.dist;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

import org.twllm.dist.transport.TransportSettings;

/** Starts one JVM per rank running a test worker's {@code main}, with torchrun-style variables set. */
final class WorkerProcesses {
    final List<Process> processes = new ArrayList<>();
    final List<Path> logs = new ArrayList<>();

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** What the workers' rings run on: UDP over loopback with 2 s liveness, whatever the host's interfaces. */
    static TransportSettings loopbackUdp(int termLength, long collectiveTimeoutNs) {
        return TransportSettings.defaults()
                .withChannel(TransportSettings.ChannelKind.UDP)
                .withEndpoint("127.0.0.1", 0)
                .withTermLength(termLength)
                .withTimeouts(2_000_000_000L, collectiveTimeoutNs);
    }

    static String classPath() {
        String cp = System.getProperty("surefire.test.class.path");
        return cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path");
    }

    static WorkerProcesses start(int world, Class<?> main, Path logDir, String maxHeap, Map<String, String> extraEnv,
                                 String... args) throws IOException {
        return start(world, main, logDir, maxHeap, extraEnv, rank -> List.of(), "127.0.0.1", args);
    }

    /**
     * As above, with each rank's command run under {@code launcher.apply(rank)} (for example
     * {@code ip netns exec NAME}) and rank 0 reached at {@code masterAddress}.
     */
    static WorkerProcesses start(int world, Class<?> main, Path logDir, String maxHeap, Map<String, String> extraEnv,
                                 IntFunction<List<String>> launcher, String masterAddress, String... args) throws IOException {
        WorkerProcesses workers = new WorkerProcesses();
        Files.createDirectories(logDir);
        int masterPort = freePort();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        for (int rank = 0; rank < world; rank++) {
            List<String> command = new ArrayList<>(launcher.apply(rank));
            command.addAll(List.of(java, "-Xmx" + maxHeap, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                    "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "-cp", classPath(), main.getName()));
            command.addAll(List.of(args));
            ProcessBuilder builder = new ProcessBuilder(command);
            builder.environment().put("RANK", String.valueOf(rank));
            builder.environment().put("LOCAL_RANK", String.valueOf(rank));
            builder.environment().put("WORLD_SIZE", String.valueOf(world));
            builder.environment().put("MASTER_ADDR", masterAddress);
            builder.environment().put("MASTER_PORT", String.valueOf(masterPort));
            builder.environment().putAll(extraEnv);
            Path log = logDir.resolve("rank" + rank + ".log");
            builder.redirectErrorStream(true).redirectOutput(log.toFile());
            workers.logs.add(log);
            workers.processes.add(builder.start());
        }
        return workers;
    }

    /** Waits for every process; returns exit codes (-1 for one still running at the deadline, which is killed). */
    int[] await(long timeoutSeconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        int[] codes = new int[processes.size()];
        for (int i = 0; i < codes.length; i++) {
            Process p = processes.get(i);
            long left = Math.max(0, deadline - System.nanoTime());
            if (p.waitFor(left, TimeUnit.NANOSECONDS)) {
                codes[i] = p.exitValue();
            } else {
                codes[i] = -1;
            }
        }
        for (Process p : processes) {
            p.destroyForcibly();
        }
        return codes;
    }

    String log(int rank) throws IOException {
        return Files.readString(logs.get(rank), StandardCharsets.UTF_8);
    }
}
