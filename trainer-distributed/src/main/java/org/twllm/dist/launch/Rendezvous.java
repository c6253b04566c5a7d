package org.twllm.dist.launch;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import org.twllm.dist.transport.PeerAddress;
import org.twllm.errors.ConfigException;
import org.twllm.errors.TwllmException;

/**
 * The start-up handshake over plain TCP on {@code MASTER_ADDR:MASTER_PORT}. Rank 0 serves; every rank
 * (rank 0 too) connects, tells its Aeron address and what it runs (config fingerprint, code version,
 * transport settings), and gets back everyone's addresses and a job id, or one error naming the rank
 * that differs. Nothing starts until all ranks have arrived and agree.
 */
public final class Rendezvous {
    private static final int MAGIC = 0x54574C4D; // "TWLM"

    /** What must be equal on every rank before training starts. */
    public record Identity(String configFingerprint, String codeVersion, String transport) {
    }

    /** Everyone's Aeron address by rank, and the id every stream of this job carries. */
    public record Result(List<PeerAddress> peers, int jobId) {
    }

    private Rendezvous() {
    }

    /**
     * Meets the other ranks. {@code openEndpoint} is given the local address this host uses to reach
     * the master (the interface the other ranks can reach us on) and returns this rank's Aeron address.
     */
    public static Result exchange(RankEnvironment env, Identity identity, long timeoutNs,
                                  Function<InetAddress, PeerAddress> openEndpoint) {
        long deadline = System.nanoTime() + timeoutNs;
        Thread server = null;
        ServerTask task = null;
        if (env.rank() == 0) {
            task = new ServerTask(env, deadline);
            server = new Thread(task, "twllm-rendezvous");
            server.setDaemon(true);
            server.start();
        }
        try (Socket socket = connect(env, deadline)) {
            PeerAddress self = openEndpoint.apply(socket.getLocalAddress());
            DataOutputStream out = new DataOutputStream(socket.getOutputStream());
            out.writeInt(MAGIC);
            out.writeInt(env.rank());
            out.writeInt(env.worldSize());
            out.writeUTF(self.host());
            out.writeInt(self.udpPort());
            out.writeUTF(self.driverId());
            out.writeUTF(identity.configFingerprint());
            out.writeUTF(identity.codeVersion());
            out.writeUTF(identity.transport());
            out.flush();
            socket.setSoTimeout((int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()) + 5_000));
            DataInputStream in = new DataInputStream(socket.getInputStream());
            int status = in.readInt();
            if (status != 0) {
                String message = in.readUTF();
                throw status == 2 ? new ConfigException(message) : new TwllmException(message);
            }
            int jobId = in.readInt();
            int world = in.readInt();
            List<PeerAddress> peers = new ArrayList<>(world);
            for (int r = 0; r < world; r++) {
                peers.add(new PeerAddress(r, in.readUTF(), in.readInt(), in.readUTF()));
            }
            return new Result(peers, jobId);
        } catch (SocketTimeoutException e) {
            throw new TwllmException("rank " + env.rank() + ": the rendezvous on " + env.masterAddress() + ":" + env.masterPort()
                    + " did not answer in time; check that rank 0 runs");
        } catch (IOException e) {
            throw new TwllmException("rank " + env.rank() + ": rendezvous with " + env.masterAddress() + ":" + env.masterPort()
                    + " failed: " + e.getMessage(), e);
        } finally {
            if (server != null) {
                joinQuietly(server, deadline);
                task.closeQuietly();
            }
        }
    }

    private static Socket connect(RankEnvironment env, long deadline) throws IOException {
        IOException last = null;
        while (System.nanoTime() < deadline) {
            Socket socket = new Socket();
            try {
                socket.connect(new InetSocketAddress(env.masterAddress(), env.masterPort()), 2_000);
                socket.setTcpNoDelay(true);
                return socket;
            } catch (IOException e) {
                socket.close();
                last = e;
                sleepQuietly(200);
            }
        }
        throw new TwllmException("rank " + env.rank() + ": cannot reach the rendezvous on " + env.masterAddress() + ":"
                + env.masterPort() + (last != null ? " (" + last.getMessage() + ")" : "")
                + "; check MASTER_ADDR/MASTER_PORT and that rank 0 runs");
    }

    /** Rank 0 waits until every rank has its answer before closing the server's sockets. */
    private static void joinQuietly(Thread server, long deadline) {
        try {
            server.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()) + 5_000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TwllmException("interrupted while waiting for the rendezvous");
        }
    }

    /** Rank 0's server: collects one hello per rank, checks them, answers everyone. */
    private static final class ServerTask implements Runnable {
        private final RankEnvironment env;
        private final long deadline;
        private final ServerSocket serverSocket;
        private final List<Socket> clients = new ArrayList<>();

        ServerTask(RankEnvironment env, long deadline) {
            this.env = env;
            this.deadline = deadline;
            try {
                serverSocket = new ServerSocket();
                serverSocket.setReuseAddress(true);
                serverSocket.bind(new InetSocketAddress(env.masterPort()));
            } catch (IOException e) {
                throw new TwllmException("rank 0: cannot listen for the rendezvous on port " + env.masterPort()
                        + " (" + e.getMessage() + "); choose another MASTER_PORT", e);
            }
        }

        @Override
        public void run() {
            int world = env.worldSize();
            Hello[] hellos = new Hello[world];
            String error = null;
            int errorKind = 2;
            try {
                int arrived = 0;
                while (arrived < world && error == null) {
                    long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                    if (left <= 0) {
                        throw new SocketTimeoutException();
                    }
                    serverSocket.setSoTimeout((int) left);
                    Socket client = serverSocket.accept();
                    clients.add(client);
                    client.setSoTimeout((int) Math.max(1, left));
                    Hello hello = Hello.read(new DataInputStream(client.getInputStream()));
                    error = check(hello, hellos);
                    if (error == null) {
                        hellos[hello.rank] = hello;
                        arrived++;
                    }
                }
                if (error == null) {
                    error = compareWithRankZero(hellos);
                }
            } catch (SocketTimeoutException e) {
                TreeSet<Integer> missing = new TreeSet<>();
                for (int r = 0; r < world; r++) {
                    if (hellos[r] == null) {
                        missing.add(r);
                    }
                }
                error = "rendezvous timed out: rank(s) " + missing + " of " + world + " never arrived; check that they started"
                        + " and can reach " + env.masterAddress() + ":" + env.masterPort();
                errorKind = 1;
            } catch (IOException e) {
                error = "rendezvous failed on rank 0: " + e.getMessage();
                errorKind = 1;
            }
            answer(hellos, error, errorKind);
        }

        /** Null when the hello is a new rank of this world, else the error every rank reports. */
        private String check(Hello hello, Hello[] hellos) {
            int world = env.worldSize();
            if (hello.world != world) {
                return "rank " + hello.rank + " runs with WORLD_SIZE " + hello.world + " but rank 0 with " + world
                        + "; start every rank with the same world size";
            }
            if (hello.rank < 0 || hello.rank >= world) {
                return "a process claims rank " + hello.rank + " outside a world of " + world;
            }
            if (hellos[hello.rank] != null) {
                return "two processes claim rank " + hello.rank + "; every rank needs its own RANK";
            }
            return null;
        }

        /** Null when every rank runs what rank 0 runs, else an error naming the first rank that differs. */
        private static String compareWithRankZero(Hello[] hellos) {
            Hello zero = hellos[0];
            for (Hello hello : hellos) {
                String diff = differs("config fingerprint", hello.identity.configFingerprint(), zero.identity.configFingerprint(), hello, zero)
                        + differs("code version", hello.identity.codeVersion(), zero.identity.codeVersion(), hello, zero)
                        + differs("transport settings", hello.identity.transport(), zero.identity.transport(), hello, zero);
                if (!diff.isEmpty()) {
                    return diff.substring(2) + "; start every rank with the same build, config file and --set overrides";
                }
            }
            return null;
        }

        private static String differs(String what, String mine, String theirs, Hello me, Hello them) {
            return mine.equals(theirs) ? "" : "; rank " + me.rank + " runs " + what + " " + mine + " but rank " + them.rank
                    + " runs " + theirs;
        }

        private void answer(Hello[] hellos, String error, int errorKind) {
            int jobId = ThreadLocalRandom.current().nextInt(1, Integer.MAX_VALUE);
            for (Socket client : clients) {
                try {
                    DataOutputStream out = new DataOutputStream(client.getOutputStream());
                    if (error != null) {
                        out.writeInt(errorKind);
                        out.writeUTF(error);
                    } else {
                        out.writeInt(0);
                        out.writeInt(jobId);
                        out.writeInt(hellos.length);
                        for (Hello h : hellos) {
                            out.writeUTF(h.host);
                            out.writeInt(h.udpPort);
                            out.writeUTF(h.driverId);
                        }
                    }
                    out.flush();
                } catch (IOException e) {
                    // That rank is gone; it fails on its own.
                }
            }
        }

        void closeQuietly() {
            try {
                serverSocket.close();
                for (Socket client : clients) {
                    client.close();
                }
            } catch (IOException e) {
                // Closing sockets of a finished rendezvous.
            }
        }
    }

    private record Hello(int rank, int world, String host, int udpPort, String driverId, Identity identity) {
        static Hello read(DataInputStream in) throws IOException {
            if (in.readInt() != MAGIC) {
                throw new IOException("a non-twllm client connected to the rendezvous port");
            }
            return new Hello(in.readInt(), in.readInt(), in.readUTF(), in.readInt(), in.readUTF(),
                    new Identity(in.readUTF(), in.readUTF(), in.readUTF()));
        }
    }
}
