package org.twllm.dist.transport;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import io.aeron.AeronCounters;
import io.aeron.ChannelUriStringBuilder;
import io.aeron.ExclusivePublication;
import io.aeron.Image;
import io.aeron.Subscription;
import org.agrona.concurrent.status.CountersReader;
import org.twllm.errors.TwllmException;

/**
 * A rank's two streams in the ring: one publication to the next rank and one subscription from the
 * previous one. The UDP subscription is opened first (so its port can be told to the others at
 * rendezvous); {@link #connect} then picks, per direction, IPC when both ends share a media driver and
 * UDP otherwise, and waits until both streams are connected.
 */
public final class RingLink implements AutoCloseable {
    static final int UDP_STREAM_ID = 0x7711;
    static final int IPC_STREAM_BASE = 0x7712_0000;

    private final AeronConnection connection;
    private final TransportSettings settings;
    private final int rank;
    private Subscription subscription;
    private ExclusivePublication publication;
    private String resolvedUdpEndpoint;
    private boolean inboundIpc;
    private boolean outboundIpc;
    private Image image;
    /** The driver's sender position of a UDP publication (how far it has put our stream on the wire), or none for IPC. */
    private int senderPositionId = CountersReader.NULL_COUNTER_ID;

    private RingLink(AeronConnection connection, TransportSettings settings, int rank) {
        this.connection = connection;
        this.settings = settings;
        this.rank = rank;
    }

    /** Opens this rank's UDP subscription on {@code bindHost:udpPort} (port 0: any free port). */
    public static RingLink listen(AeronConnection connection, TransportSettings settings, int rank) {
        RingLink link = new RingLink(connection, settings, rank);
        String channel = udp(settings).endpoint(settings.bindHost() + ":" + settings.udpPort()).build();
        link.subscription = connection.aeron().addSubscription(channel, UDP_STREAM_ID);
        long deadline = System.nanoTime() + settings.collectiveTimeoutNs();
        while ((link.resolvedUdpEndpoint = link.subscription.resolvedEndpoint()) == null) {
            if (System.nanoTime() > deadline) {
                link.close();
                throw new TwllmException("rank " + rank + ": could not bind a UDP endpoint on " + settings.bindHost()
                        + ":" + settings.udpPort() + "; check distributed.transport.port_base and the host's address");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
        return link;
    }

    /** This rank's address as told to the others at rendezvous. */
    public PeerAddress localAddress() {
        int port = Integer.parseInt(resolvedUdpEndpoint.substring(resolvedUdpEndpoint.lastIndexOf(':') + 1));
        return new PeerAddress(rank, settings.bindHost(), port, connection.driverId());
    }

    /**
     * Opens the publication to {@code next} and, where {@code previous} shares our driver, swaps the
     * UDP subscription for an IPC one; then waits until both directions are connected. {@code jobId}
     * (agreed at rendezvous) is the session id of every stream, and only the image of that session is
     * read, so a stale publisher of an earlier job on the same port or driver is never mistaken for a neighbour.
     */
    public void connect(PeerAddress previous, PeerAddress next, int jobId) {
        inboundIpc = useIpc(previous);
        outboundIpc = useIpc(next);
        // The UDP subscription stays as opened (its port was told to the others); inbound IPC needs its own.
        if (inboundIpc) {
            subscription.close();
            subscription = connection.aeron().addSubscription(ipc().sessionId(jobId).build(), IPC_STREAM_BASE + rank);
        }
        if (outboundIpc) {
            publication = connection.aeron().addExclusivePublication(ipc().sessionId(jobId).build(), IPC_STREAM_BASE + next.rank());
        } else {
            String channel = udp(settings).endpoint(next.udpEndpoint()).sessionId(jobId).build();
            publication = connection.aeron().addExclusivePublication(channel, UDP_STREAM_ID);
        }
        long deadline = System.nanoTime() + settings.collectiveTimeoutNs();
        while (!publication.isConnected() || (image = subscription.imageBySessionId(jobId)) == null) {
            if (System.nanoTime() > deadline) {
                String missing = !publication.isConnected()
                        ? "rank " + next.rank() + " (" + describe(next, outboundIpc) + ") never subscribed"
                        : "rank " + previous.rank() + " (" + describe(previous, inboundIpc) + ") never connected";
                throw new TwllmException("rank " + rank + ": ring setup timed out after "
                        + TimeUnit.NANOSECONDS.toSeconds(settings.collectiveTimeoutNs()) + " s: " + missing
                        + "; check that the rank runs and that UDP traffic between the hosts is allowed");
            }
            Throwable async = connection.asyncError();
            if (async != null) {
                throw new TwllmException("rank " + rank + ": Aeron failed during ring setup: " + async.getMessage(), async);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
        if (!outboundIpc) {
            senderPositionId = connection.aeron().countersReader().findByTypeIdAndRegistrationId(
                    AeronCounters.DRIVER_SENDER_POSITION_TYPE_ID, publication.registrationId());
        }
    }

    private boolean useIpc(PeerAddress peer) {
        boolean shared = peer.driverId().equals(connection.driverId());
        return switch (settings.channel()) {
            case UDP -> false;
            case AUTO -> shared;
            case IPC -> {
                if (!shared) {
                    throw new TwllmException("rank " + rank + ": distributed.transport.channel is ipc but rank " + peer.rank()
                            + " uses another media driver (" + peer.driverId() + "); use channel auto or udp, or attach "
                            + "all ranks of a host to one external driver");
                }
                yield true;
            }
        };
    }

    private static String describe(PeerAddress peer, boolean ipc) {
        return ipc ? "IPC" : "UDP " + peer.udpEndpoint();
    }

    private ChannelUriStringBuilder ipc() {
        return new ChannelUriStringBuilder().media("ipc").mtu(settings.mtu()).termLength(settings.termLength());
    }

    private static ChannelUriStringBuilder udp(TransportSettings settings) {
        return new ChannelUriStringBuilder().media("udp")
                .mtu(settings.mtu())
                .termLength(settings.termLength())
                .socketSndbufLength(settings.socketBufferBytes())
                .socketRcvbufLength(settings.socketBufferBytes())
                .receiverWindowLength(settings.socketBufferBytes());
    }

    public ExclusivePublication publication() {
        return publication;
    }

    /** The stream from the previous rank (this job's session on our subscription). */
    public Image inboundImage() {
        return image;
    }

    public AeronConnection connection() {
        return connection;
    }

    public TransportSettings settings() {
        return settings;
    }

    public boolean inboundIpc() {
        return inboundIpc;
    }

    public boolean outboundIpc() {
        return outboundIpc;
    }

    /**
     * Closes the publication once what was offered has left (see {@link #awaitSent}): the next rank reads
     * it, then sees end-of-stream, which is how a failure notice spreads.
     */
    public void closePublication() {
        if (publication != null && !publication.isClosed()) {
            awaitSent();
            publication.close();
        }
    }

    /**
     * Waits until our driver has sent everything offered on the UDP publication, for at most the liveness
     * timeout and only while the next rank is connected. Offering only writes into the term buffer: a
     * process that exits right after a failure would otherwise take its last message, the failure notice,
     * with it, and the next rank would report a lost stream instead of the failure's cause. Over IPC the
     * shared driver keeps the log until the next rank has read it.
     */
    private void awaitSent() {
        if (senderPositionId == CountersReader.NULL_COUNTER_ID) {
            return;
        }
        CountersReader counters = connection.aeron().countersReader();
        long offered = publication.position();
        long deadline = System.nanoTime() + settings.livenessTimeoutNs();
        while (counters.getCounterValue(senderPositionId) < offered && publication.isConnected()
                && System.nanoTime() - deadline < 0) {
            LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(100));
        }
    }

    /**
     * Closes the link without losing this rank's last messages. A collective that finished here may still
     * have frames in flight to the next rank, or waiting to be sent again after a lost packet; closing the
     * publication (and the media driver with it) at once would cut them off, and the next rank would fail
     * with a lost stream. So the subscription goes first (this rank has received all it needs: the next
     * rank's publication sees it leave), then this rank waits until the next rank's subscription has left
     * too (it has received everything) or twice the liveness timeout passed, then closes the publication.
     */
    @Override
    public void close() {
        if (subscription != null) {
            subscription.close();
        }
        if (publication != null && !publication.isClosed()) {
            long deadline = System.nanoTime() + 2 * settings.livenessTimeoutNs();
            while (publication.isConnected() && System.nanoTime() < deadline) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            }
        }
        closePublication();
    }
}
