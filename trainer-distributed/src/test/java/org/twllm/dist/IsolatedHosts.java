package org.twllm.dist;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Hosts that are really apart, for one test: each rank gets its own network namespace (its own interfaces,
 * addresses, routes and firewall), linked by a veth pair to a bridge in a "switch" namespace, as machines
 * on one Ethernet segment. Rank {@code k} has address {@code 10.77.0.(k+1)}. Needs root and iproute2;
 * {@link #unavailable()} says why not where they are missing. {@link #close()} deletes the namespaces,
 * and with them every interface and rule made here.
 */
final class IsolatedHosts implements AutoCloseable {
    private static final AtomicInteger NEXT = new AtomicInteger();

    private final String prefix;
    private final int hosts;
    private final List<String> created = new ArrayList<>();

    private IsolatedHosts(int hosts) {
        // Unique per test JVM and per use: other test runs on this machine make namespaces too.
        this.prefix = "twllm-" + ProcessHandle.current().pid() + "-" + NEXT.getAndIncrement();
        this.hosts = hosts;
    }

    /** Null when namespaces can be made here, else why not (the reason a test is skipped). */
    static String unavailable() {
        String probe = "twllm-probe-" + ProcessHandle.current().pid();
        try {
            Result add = command("ip", "netns", "add", probe);
            if (add.code != 0) {
                return "cannot create a network namespace ('ip netns add' says: " + add.output.strip()
                        + "); these tests need root and iproute2";
            }
            command("ip", "netns", "del", probe);
            return null;
        } catch (IOException e) {
            return "cannot run 'ip' (" + e.getMessage() + "); these tests need iproute2 and root";
        }
    }

    /** Null when iptables can add rules inside a namespace, else why not. */
    static String iptablesUnavailable() {
        try {
            Result version = command("iptables", "--version");
            return version.code == 0 ? null : "iptables does not run: " + version.output.strip();
        } catch (IOException e) {
            return "iptables is not installed (apt-get install iptables)";
        }
    }

    /** {@code hosts} namespaces on one bridge, every link with the given MTU (9000: jumbo frames, as on a cluster). */
    static IsolatedHosts create(int hosts, int mtu) throws IOException {
        IsolatedHosts net = new IsolatedHosts(hosts);
        try {
            String sw = net.prefix + "-sw";
            net.netns(sw);
            run("ip", "-n", sw, "link", "add", "br0", "mtu", String.valueOf(mtu), "type", "bridge");
            run("ip", "-n", sw, "link", "set", "br0", "up");
            for (int rank = 0; rank < hosts; rank++) {
                String ns = net.namespace(rank);
                net.netns(ns);
                String port = "port" + rank;
                run("ip", "-n", sw, "link", "add", port, "mtu", String.valueOf(mtu), "type", "veth",
                        "peer", "name", "eth0", "mtu", String.valueOf(mtu), "netns", ns);
                run("ip", "-n", sw, "link", "set", port, "master", "br0");
                run("ip", "-n", sw, "link", "set", port, "up");
                run("ip", "-n", ns, "addr", "add", net.address(rank) + "/24", "dev", "eth0");
                run("ip", "-n", ns, "link", "set", "eth0", "up");
                run("ip", "-n", ns, "link", "set", "lo", "up");
            }
            return net;
        } catch (IOException | RuntimeException e) {
            net.close();
            throw e;
        }
    }

    String namespace(int rank) {
        return prefix + "-r" + rank;
    }

    String address(int rank) {
        return "10.77.0." + (rank + 1);
    }

    /** The command prefix that runs a program on {@code rank}'s host. */
    List<String> launcher(int rank) {
        return List.of("ip", "netns", "exec", namespace(rank));
    }

    /** Pulls {@code rank}'s cable: its interface goes down, so nothing reaches or leaves it. */
    void cutLink(int rank) throws IOException {
        run("ip", "-n", namespace(rank), "link", "set", "eth0", "down");
    }

    /** Every host drops each UDP packet it receives with {@code probability} (iptables' statistic match). */
    void dropUdp(double probability) throws IOException {
        for (int rank = 0; rank < hosts; rank++) {
            run("ip", "netns", "exec", namespace(rank), "iptables", "-A", "INPUT", "-p", "udp", "-m", "statistic",
                    "--mode", "random", "--probability", String.valueOf(probability), "-j", "DROP");
        }
    }

    /** UDP packets the {@link #dropUdp} rules have dropped so far, over all hosts. */
    long droppedUdpPackets() throws IOException {
        long dropped = 0;
        for (int rank = 0; rank < hosts; rank++) {
            for (String line : run("ip", "netns", "exec", namespace(rank), "iptables", "-L", "INPUT", "-v", "-n", "-x")
                    .split("\n")) {
                String[] fields = line.trim().split("\\s+");
                if (fields.length > 2 && fields[2].equals("DROP")) {
                    dropped += Long.parseLong(fields[0]);
                }
            }
        }
        return dropped;
    }

    private void netns(String name) throws IOException {
        run("ip", "netns", "add", name);
        created.add(name);
    }

    @Override
    public void close() {
        for (int i = created.size() - 1; i >= 0; i--) {
            try {
                command("ip", "netns", "del", created.get(i));
            } catch (IOException e) {
                System.err.println("could not delete network namespace " + created.get(i) + ": " + e.getMessage());
            }
        }
        created.clear();
    }

    private record Result(int code, String output) {
    }

    /** Runs a command, failing with its output when it fails; returns its output. */
    private static String run(String... command) throws IOException {
        Result r = command(command);
        if (r.code != 0) {
            throw new IOException(String.join(" ", command) + " failed with exit code " + r.code + ": " + r.output.strip());
        }
        return r.output;
    }

    private static Result command(String... command) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", command) + " did not finish in 30 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted running " + String.join(" ", command), e);
        }
        return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }
}
