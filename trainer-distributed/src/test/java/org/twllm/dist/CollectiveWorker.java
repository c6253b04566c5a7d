package org.twllm.dist;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

import org.twllm.dist.collective.CollectiveFailure;
import org.twllm.dist.collective.Communicator;
import org.twllm.dist.collective.RingPartition;
import org.twllm.dist.launch.RankEnvironment;
import org.twllm.dist.launch.Rendezvous;
import org.twllm.dist.launch.RingBootstrap;
import org.twllm.dist.transport.TransportSettings;

/**
 * One rank of {@link CollectivesMultiProcessTest}: runs many collective cases on a real Aeron ring
 * (UDP over loopback, one embedded driver per rank), checking every result bit for bit against the
 * documented ring summation order computed locally from every rank's (deterministic) input; then a
 * rank that hangs, then a rank that dies. Prints one line per checked case; exits non-zero on a mismatch.
 */
public final class CollectiveWorker {
    private static int rank;
    private static int world;

    public static void main(String[] args) throws Exception {
        RankEnvironment env = RankEnvironment.fromEnvironment();
        rank = env.rank();
        world = env.worldSize();
        TransportSettings settings = WorkerProcesses.loopbackUdp(4 << 20, 5_000_000_000L);
        Rendezvous.Identity identity = new Rendezvous.Identity("test-config", "test-code", settings.fingerprint());
        Communicator ring = RingBootstrap.start(env, settings, identity, 60_000_000_000L);
        say("ring up (chunk " + ring.chunkFloats() + " floats)");

        int chunk = ring.chunkFloats();
        for (int n : new int[] {0, 1, 3, 5, 17, 1000, 4 * chunk + 5, 100_003, 1_000_003}) {
            for (long[] bounds : boundsVariants(n)) {
                checkAllReduce(ring, n, bounds);
                checkReduceScatter(ring, n, bounds, n);
                checkReduceScatter(ring, n, bounds, 7001);
                checkAllGather(ring, n, bounds);
            }
            checkBroadcast(ring, n, 2 % world);
        }
        checkScalars(ring);
        say("ALL CASES OK");

        hangPhase(ring);
        killPhase(env, settings, identity);
    }

    /** Even split, cache-line aligned split (zero-length ranges for small n), and one with an empty middle range. */
    private static long[][] boundsVariants(int n) {
        long[] uneven = new long[world + 1];
        uneven[1] = Math.min(1, n);
        for (int r = 2; r < world; r++) {
            uneven[r] = Math.max(uneven[1], n / 2);
        }
        uneven[world] = n;
        return new long[][] {RingPartition.split(n, world, 1), RingPartition.split(n, world, 16), uneven};
    }

    /** Rank k's input: floats spanning seven decades, so the summation order shows in the low bits. */
    static float input(int k, long i) {
        long z = (k + 1) * 0x9E3779B97F4A7C15L + i * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 31)) * 0x94D049BB133111EBL;
        z ^= z >>> 29;
        double unit = (z >>> 11) * 0x1.0p-53 * 2 - 1;
        return (float) (unit * Math.pow(10, (int) ((i * 7 + k) % 7) - 3));
    }

    /** The documented order for an element of segment q: ((g[q+1] + g[q+2]) + ...) + g[q]. */
    static float ringSum(int q, long i) {
        float acc = input((q + 1) % world, i);
        for (int j = 2; j <= world; j++) {
            acc += input((q + j) % world, i);
        }
        return acc;
    }

    private static int segmentOf(long[] bounds, long i) {
        for (int q = 0; q < world; q++) {
            if (i >= bounds[q] && i < bounds[q + 1]) {
                return q;
            }
        }
        throw new IllegalStateException("element " + i + " outside the bounds");
    }

    private static FloatBuffer filled(int n) {
        FloatBuffer buffer = ByteBuffer.allocateDirect(Math.max(4, n * 4)).order(ByteOrder.nativeOrder()).asFloatBuffer();
        for (int i = 0; i < n; i++) {
            buffer.put(i, input(rank, i));
        }
        return buffer;
    }

    private static void checkAllReduce(Communicator ring, int n, long[] bounds) {
        FloatBuffer buffer = filled(n);
        ring.allReduce(Communicator.address(buffer), bounds, "all-reduce", -1);
        for (int i = 0; i < n; i++) {
            expectBits(buffer.get(i), ringSum(segmentOf(bounds, i), i), "all-reduce", n, bounds, i);
        }
        say("all-reduce n=" + n + " bounds=" + Arrays.toString(bounds) + " ok");
    }

    /** Reduce-scatter in buckets of {@code bucket} elements launched from the end towards the start, as ZeRO-2 does. */
    private static void checkReduceScatter(Communicator ring, int n, long[] bounds, int bucket) {
        FloatBuffer buffer = filled(n);
        long address = Communicator.address(buffer);
        int b = 0;
        for (long end = n; end > 0; end -= bucket, b++) {
            ring.reduceScatter(address, RingPartition.clip(bounds, Math.max(0, end - bucket), end), "reduce-scatter", b);
        }
        for (long i = bounds[rank]; i < bounds[rank + 1]; i++) {
            expectBits(buffer.get((int) i), ringSum(rank, i), "reduce-scatter/" + bucket, n, bounds, i);
        }
        say("reduce-scatter n=" + n + " bucket=" + bucket + " bounds=" + Arrays.toString(bounds) + " ok");
    }

    private static void checkAllGather(Communicator ring, int n, long[] bounds) {
        FloatBuffer buffer = ByteBuffer.allocateDirect(Math.max(4, n * 4)).order(ByteOrder.nativeOrder()).asFloatBuffer();
        for (int i = 0; i < n; i++) {
            buffer.put(i, i >= bounds[rank] && i < bounds[rank + 1] ? input(rank, i) : Float.NaN);
        }
        ring.allGather(Communicator.address(buffer), Float.BYTES, bounds, "all-gather", -1);
        for (int i = 0; i < n; i++) {
            expectBits(buffer.get(i), input(segmentOf(bounds, i), i), "all-gather", n, bounds, i);
        }
        say("all-gather n=" + n + " bounds=" + Arrays.toString(bounds) + " ok");
    }

    private static void checkBroadcast(Communicator ring, int n, int root) {
        FloatBuffer buffer = filled(n);
        ring.broadcast(Communicator.address(buffer), 0, n, root);
        for (int i = 0; i < n; i++) {
            expectBits(buffer.get(i), input(root, i), "broadcast", n, null, i);
        }
        say("broadcast n=" + n + " root=" + root + " ok");
    }

    private static void checkScalars(Communicator ring) {
        double expected = 0.1 * 2;
        for (int j = 2; j <= world; j++) {
            expected += 0.1 * (j % world + 1);
        }
        double[] one = {0.1 * (rank + 1)};
        ring.allReduceSum(one);
        double sum = one[0];
        if (Double.doubleToLongBits(sum) != Double.doubleToLongBits(expected)) {
            throw new AssertionError("scalar all-reduce gave " + sum + ", expected " + expected);
        }
        double[] values = {rank, -rank * 1e-9, 1e300};
        ring.allReduceSum(values);
        double ranks = world * (world - 1) / 2.0;
        if (values[0] != ranks || values[2] != 1e300 * world || Math.abs(values[1] + ranks * 1e-9) > 1e-20) {
            throw new AssertionError("vector of scalars gave " + Arrays.toString(values));
        }
        ring.barrier();
        say("scalars ok: " + sum);
    }

    /** Rank 1 stops taking part (alive, but not calling collectives); everyone must fail within the timeout. */
    private static void hangPhase(Communicator ring) throws InterruptedException {
        ring.barrier();
        long started = System.nanoTime();
        if (rank == 1) {
            Thread.sleep(9_000);
        }
        try {
            ring.allReduce(filled(100_000));
            say("HANG-NOT-DETECTED");
        } catch (CollectiveFailure e) {
            say("HANG-FAILURE after " + (System.nanoTime() - started) / 1_000_000 + " ms: " + e.getMessage());
        }
        ring.close();
    }

    /** On a second ring, rank 3 dies abruptly (no clean-up); the others must fail fast naming it. */
    private static void killPhase(RankEnvironment env, TransportSettings settings, Rendezvous.Identity identity) {
        Map<String, String> vars = new HashMap<>(System.getenv());
        vars.put("MASTER_PORT", System.getenv("TWLLM_TEST_SECOND_PORT"));
        TransportSettings patient = settings.withTimeouts(2_000_000_000L, 30_000_000_000L);
        Communicator ring = RingBootstrap.start(RankEnvironment.from(vars), patient, identity, 60_000_000_000L);
        ring.barrier();
        if (rank == world - 1) {
            say("HALTING");
            Runtime.getRuntime().halt(9);
        }
        long started = System.nanoTime();
        try {
            ring.allReduce(filled(100_000));
            say("KILL-NOT-DETECTED");
            System.exit(1);
        } catch (CollectiveFailure e) {
            say("KILL-FAILURE after " + (System.nanoTime() - started) / 1_000_000 + " ms: " + e.getMessage());
            System.exit(3);
        }
    }

    private static void expectBits(float actual, float expected, String what, int n, long[] bounds, long i) {
        if (Float.floatToIntBits(actual) != Float.floatToIntBits(expected)) {
            throw new AssertionError("rank " + rank + ": " + what + " n=" + n + " bounds=" + Arrays.toString(bounds)
                    + " element " + i + ": got " + actual + ", expected " + expected);
        }
    }

    private static void say(String line) {
        System.out.println("[rank " + rank + "] " + line);
        System.out.flush();
    }
}
