package org.twllm.dist.collective;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import io.aeron.ExclusivePublication;
import io.aeron.Image;
import io.aeron.Publication;
import io.aeron.logbuffer.BufferClaim;
import io.aeron.logbuffer.FragmentHandler;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.twllm.dist.launch.RankEnvironment;
import org.twllm.dist.launch.Rendezvous;
import org.twllm.dist.launch.RingBootstrap;
import org.twllm.dist.transport.AeronConnection;
import org.twllm.dist.transport.IdleBackoff;
import org.twllm.dist.transport.PeerAddress;
import org.twllm.dist.transport.RingLink;
import org.twllm.dist.transport.TransportSettings;

/**
 * Benchmark (not a test), one process per rank, launched by {@code scripts/bench/collectives.sh}:
 * <ul>
 *   <li>{@code ring FLOATS ITERS}: reduce-scatter then all-gather of FLOATS floats; rank 0 prints the
 *       median time, the algorithm bandwidth (payload bytes / time) and the bus bandwidth
 *       (algorithm bandwidth x 2(w-1)/w, the bytes each link carries per second).</li>
 *   <li>{@code p2p FLOATS ITERS}: a raw Aeron stream on the same transport, rank 0 to rank 1, in the same
 *       one-frame messages, acknowledged by one message back; rank 0 prints the median bandwidth.</li>
 * </ul>
 * The transport is UDP unless {@code TWLLM_AERON_DIR} names a shared driver, then IPC.
 */
public final class CollectiveBenchmark {
    private CollectiveBenchmark() {
    }

    public static void main(String[] args) {
        String mode = args[0];
        int floats = Integer.parseInt(args[1]);
        int iterations = Integer.parseInt(args[2]);
        RankEnvironment env = RankEnvironment.fromEnvironment();
        String dir = System.getenv("TWLLM_AERON_DIR");
        TransportSettings settings = TransportSettings.defaults().withEndpoint("127.0.0.1", 0);
        if (dir != null) {
            settings = settings.withExternalDriver(Path.of(dir)).withChannel(TransportSettings.ChannelKind.IPC);
        } else {
            settings = settings.withChannel(TransportSettings.ChannelKind.UDP);
        }
        String transport = dir != null ? "ipc" : "udp";
        Rendezvous.Identity identity = new Rendezvous.Identity("bench", "bench", settings.fingerprint());
        long[] nanos = mode.equals("ring") ? ring(env, settings, identity, floats, iterations)
                : pointToPoint(env, settings, identity, floats, iterations);
        if (env.rank() == 0) {
            Arrays.sort(nanos);
            double seconds = nanos[nanos.length / 2] / 1e9;
            double bytes = floats * 4.0;
            int w = env.worldSize();
            if (mode.equals("ring")) {
                double algbw = bytes / seconds / 1e9;
                System.out.printf("RESULT ring %s world=%d floats=%d median_ms=%.1f algbw_GBps=%.3f busbw_GBps=%.3f%n",
                        transport, w, floats, seconds * 1e3, algbw, algbw * 2 * (w - 1) / w);
            } else {
                System.out.printf("RESULT p2p %s floats=%d median_ms=%.1f bw_GBps=%.3f%n",
                        transport, floats, seconds * 1e3, bytes / seconds / 1e9);
            }
        }
    }

    private static long[] ring(RankEnvironment env, TransportSettings settings, Rendezvous.Identity identity,
                               int floats, int iterations) {
        try (Communicator comm = RingBootstrap.start(env, settings, identity, TimeUnit.MINUTES.toNanos(2))) {
            FloatBuffer buffer = ByteBuffer.allocateDirect(floats * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
            long address = Communicator.address(buffer);
            long[] bounds = RingPartition.split(floats, comm.worldSize(), RingPartition.CACHE_LINE_FLOATS);
            long[] nanos = new long[iterations];
            for (int i = 0; i < iterations; i++) {
                comm.barrier();
                long start = System.nanoTime();
                comm.reduceScatter(address, bounds, "reduce-scatter", -1);
                comm.allGather(address, Float.BYTES, bounds, "all-gather", -1);
                nanos[i] = System.nanoTime() - start;
            }
            return nanos;
        }
    }

    /** Rank 0 streams FLOATS floats to rank 1 in one-frame messages; rank 1 answers with one message. */
    private static long[] pointToPoint(RankEnvironment env, TransportSettings settings, Rendezvous.Identity identity,
                                       int floats, int iterations) {
        try (AeronConnection connection = AeronConnection.open(settings, "p2p" + env.rank())) {
            RingLink[] link = new RingLink[1];
            Rendezvous.Result result = Rendezvous.exchange(env, identity, TimeUnit.MINUTES.toNanos(2), local -> {
                link[0] = RingLink.listen(connection, settings.withEndpoint("127.0.0.1", 0), env.rank());
                return link[0].localAddress();
            });
            PeerAddress other = result.peers().get(1 - env.rank());
            link[0].connect(other, other, result.jobId());
            ExclusivePublication publication = link[0].publication();
            Image image = link[0].inboundImage();
            IdleStrategy idle = IdleBackoff.newStrategy();
            int chunk = publication.maxPayloadLength() - RingPass.HEADER_LENGTH;
            UnsafeBuffer source = new UnsafeBuffer(ByteBuffer.allocateDirect(floats * 4));
            BufferClaim claim = new BufferClaim();
            long total = floats * 4L;
            long[] received = new long[1];
            FragmentHandler counter = (buffer, offset, length, header) -> received[0] += length;
            long[] nanos = new long[iterations];
            for (int i = 0; i < iterations; i++) {
                long start = System.nanoTime();
                if (env.rank() == 0) {
                    for (long sent = 0; sent < total; ) {
                        int bytes = (int) Math.min(chunk, total - sent);
                        long r = publication.tryClaim(bytes + RingPass.HEADER_LENGTH, claim);
                        if (r > 0) {
                            claim.buffer().putBytes(claim.offset() + RingPass.HEADER_LENGTH, source, (int) sent, bytes);
                            claim.commit();
                            sent += bytes;
                            idle.reset();
                        } else if (r == Publication.BACK_PRESSURED || r == Publication.ADMIN_ACTION) {
                            idle.idle();
                        } else {
                            throw new IllegalStateException("p2p send failed: " + Publication.errorString(r));
                        }
                    }
                    received[0] = 0;
                    while (received[0] == 0) {
                        idle.idle(image.poll(counter, 1));
                    }
                } else {
                    long expected = total + (total + chunk - 1) / chunk * RingPass.HEADER_LENGTH;
                    while (received[0] < expected) {
                        idle.idle(image.poll(counter, 16));
                    }
                    received[0] = 0;
                    while (publication.offer(source, 0, 8) < 0) {
                        idle.idle();
                    }
                }
                nanos[i] = System.nanoTime() - start;
            }
            link[0].close();
            return nanos;
        }
    }
}
