package org.twllm.dist.launch;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.twllm.dist.collective.Communicator;
import org.twllm.dist.transport.AeronConnection;
import org.twllm.dist.transport.PeerAddress;
import org.twllm.dist.transport.RingLink;
import org.twllm.dist.transport.TransportSettings;

/**
 * Brings a rank into the ring: Aeron client (and embedded driver), UDP endpoint, rendezvous, the
 * links to both neighbours, and one warm-up all-reduce so the term buffers are faulted in before the
 * first timed step (the first collective on fresh terms is several times slower).
 */
public final class RingBootstrap {
    private static final Logger LOG = LoggerFactory.getLogger(RingBootstrap.class);

    private RingBootstrap() {
    }

    /** A connected, warmed-up communicator for this rank; {@code env.worldSize()} must be at least 2. */
    public static Communicator start(RankEnvironment env, TransportSettings settings, Rendezvous.Identity identity,
                                     long rendezvousTimeoutNs) {
        if (env.worldSize() < 2) {
            throw new IllegalArgumentException("a ring needs at least two ranks");
        }
        AeronConnection connection = AeronConnection.open(settings, "rank" + env.rank());
        RingLink[] link = new RingLink[1];
        try {
            Rendezvous.Result result = Rendezvous.exchange(env, identity, rendezvousTimeoutNs, (InetAddress local) -> {
                String host = settings.bindHost() != null ? settings.bindHost() : local.getHostAddress();
                int port = settings.udpPort() == 0 ? 0 : settings.udpPort() + env.rank();
                link[0] = RingLink.listen(connection, settings.withEndpoint(host, port), env.rank());
                return link[0].localAddress();
            });
            int world = env.worldSize();
            PeerAddress previous = result.peers().get((env.rank() - 1 + world) % world);
            PeerAddress next = result.peers().get((env.rank() + 1) % world);
            link[0].connect(previous, next, result.jobId());
            LOG.info("rank {} of {}: receiving from rank {} over {}, sending to rank {} over {}", env.rank(), world,
                    previous.rank(), link[0].inboundIpc() ? "IPC" : "UDP " + link[0].localAddress().udpEndpoint(),
                    next.rank(), link[0].outboundIpc() ? "IPC" : "UDP " + next.udpEndpoint());
            Communicator communicator = new Communicator(link[0], env.rank(), world);
            warmUp(communicator, settings);
            return communicator;
        } catch (RuntimeException e) {
            if (link[0] != null) {
                link[0].close();
            }
            connection.close();
            throw e;
        }
    }

    /** One all-reduce moving about three term lengths over each link, enough to touch every term page. */
    static void warmUp(Communicator communicator, TransportSettings settings) {
        int world = communicator.worldSize();
        long bytesPerLink = 3L * settings.termLength();
        long floats = Math.min(16L << 20, bytesPerLink * world / (2L * (world - 1) * Float.BYTES));
        FloatBuffer buffer = ByteBuffer.allocateDirect((int) floats * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
        communicator.allReduce(buffer);
    }
}
