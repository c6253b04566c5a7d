package org.twllm.dist;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import io.aeron.Image;
import io.aeron.Publication;
import org.agrona.concurrent.UnsafeBuffer;
import org.twllm.dist.launch.RankEnvironment;
import org.twllm.dist.launch.Rendezvous;
import org.twllm.dist.transport.AeronConnection;
import org.twllm.dist.transport.PeerAddress;
import org.twllm.dist.transport.RingLink;
import org.twllm.dist.transport.TransportSettings;

/**
 * One rank of {@link LinkCloseMultiProcessTest}, on a two-rank ring over loopback UDP with an embedded
 * driver: rank 0 offers a megabyte of numbered messages, closes its link's publication and halts its
 * JVM at once (as a failing rank that has just sent its failure notice exits); rank 1 reports how many
 * of the messages it read before the stream from rank 0 ended.
 */
public final class LinkCloseWorker {
    static final int MESSAGES = 128;
    private static final int MESSAGE_BYTES = 8 << 10;

    public static void main(String[] args) {
        RankEnvironment env = RankEnvironment.fromEnvironment();
        TransportSettings settings = WorkerProcesses.loopbackUdp(4 << 20, 5_000_000_000L);
        AeronConnection connection = AeronConnection.open(settings, "rank" + env.rank());
        RingLink[] link = new RingLink[1];
        Rendezvous.Result ring = Rendezvous.exchange(env, new Rendezvous.Identity("test", "test", settings.fingerprint()),
                TimeUnit.SECONDS.toNanos(60), local -> {
                    link[0] = RingLink.listen(connection, settings, env.rank());
                    return link[0].localAddress();
                });
        PeerAddress other = ring.peers().get(1 - env.rank());
        link[0].connect(other, other, ring.jobId());
        if (env.rank() == 0) {
            offerAll(link[0].publication());
            link[0].closePublication();
            System.out.println("OFFERED " + MESSAGES);
            System.out.flush();
            Runtime.getRuntime().halt(0);
        }
        System.out.println("RECEIVED " + receiveAll(link[0].inboundImage()));
        System.out.flush();
        Runtime.getRuntime().halt(0);
    }

    /** The megabyte fits the publication's term window, so only back pressure is waited out. */
    private static void offerAll(Publication publication) {
        UnsafeBuffer message = new UnsafeBuffer(new byte[MESSAGE_BYTES]);
        for (int i = 0; i < MESSAGES; i++) {
            message.putInt(0, i);
            long result;
            while ((result = publication.offer(message)) < 0) {
                if (result != Publication.BACK_PRESSURED && result != Publication.ADMIN_ACTION) {
                    throw new IllegalStateException("offer failed: " + Publication.errorString(result));
                }
                LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(50));
            }
        }
    }

    /** Reads messages in order until all arrived, the image is gone (rank 0's driver died with it), or 20 s pass. */
    private static int receiveAll(Image image) {
        int[] next = {0};
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (next[0] < MESSAGES && !image.isClosed() && System.nanoTime() < deadline) {
            int fragments = image.poll((buffer, offset, length, header) -> {
                if (length == MESSAGE_BYTES && buffer.getInt(offset) == next[0]) {
                    next[0]++;
                }
            }, 16);
            if (fragments == 0) {
                LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(50));
            }
        }
        return next[0];
    }
}
