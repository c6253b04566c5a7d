package org.twllm.dist.collective;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

import org.agrona.BufferUtil;
import org.agrona.UnsafeApi;
import org.twllm.dist.transport.IdleBackoff;
import org.twllm.dist.transport.RingLink;
import org.twllm.errors.TwllmException;

import static org.twllm.dist.collective.RingPass.Op;

/**
 * Ring collectives over native float memory, for one rank of a connected {@link RingLink}.
 * Every rank must call the same collectives in the same order with the same segment bounds.
 * Buffers are given as a native address (an ND4J buffer, a direct {@link FloatBuffer}) plus element
 * bounds, so buffers larger than 2 GiB work and nothing is copied.
 *
 * <p>Summation order (see {@link RingPass}): segment {@code q} is summed as
 * {@code ((g[q+1] + g[q+2]) + ...) + g[q]}, ranks mod world, for every element, whatever the bucketing.
 *
 * <p>Not thread-safe: use from one thread. After a failure every later call rethrows it.
 */
public final class Communicator implements AutoCloseable {
    private final RingLink link;
    private final int rank;
    private final int world;
    private final RingPass pass;
    private final ByteBuffer scalarScratch;
    private final long[] scalarBounds;
    private int seq;
    private TwllmException failure;

    public Communicator(RingLink link, int rank, int world) {
        this.link = link;
        this.rank = rank;
        this.world = world;
        this.pass = new RingPass(link, rank, world, IdleBackoff.newStrategy());
        this.scalarScratch = ByteBuffer.allocateDirect(Double.BYTES * 64).order(ByteOrder.nativeOrder());
        this.scalarBounds = new long[world + 1];
    }

    public int rank() {
        return rank;
    }

    public int worldSize() {
        return world;
    }

    /**
     * Afterwards each rank {@code r} holds in {@code [bounds[r], bounds[r+1])} the sum over ranks of that
     * range; other ranges hold partial sums. {@code bounds} has {@code world + 1} non-decreasing element
     * offsets from {@code address}; ranges may be empty.
     */
    public void reduceScatter(long address, long[] bounds, String label, int tag) {
        run(Op.REDUCE_SCATTER, Float.BYTES, address, bounds, 0, label, tag);
    }

    /**
     * Afterwards every rank holds every rank's range {@code [bounds[q], bounds[q+1])} of elements of
     * {@code elementSize} bytes (an all-gather copies, so any element type travels: bf16 weights as 2 bytes each).
     */
    public void allGather(long address, int elementSize, long[] bounds, String label, int tag) {
        run(Op.ALL_GATHER, elementSize, address, bounds, 0, label, tag);
    }

    /** Afterwards every element of {@code [bounds[0], bounds[world])} holds the sum over ranks. */
    public void allReduce(long address, long[] bounds, String label, int tag) {
        run(Op.ALL_REDUCE, Float.BYTES, address, bounds, 0, label, tag);
    }

    /** Sums a direct float buffer's remaining elements over all ranks, in place. */
    public void allReduce(FloatBuffer buffer) {
        allReduce(address(buffer), RingPartition.split(buffer.remaining(), world, 1), "all-reduce", -1);
        java.lang.ref.Reference.reachabilityFence(buffer); // the native memory must outlive the pass
    }

    /** Copies {@code root}'s {@code [start, end)} elements to every rank. */
    public void broadcast(long address, long start, long end, int root) {
        if (root < 0 || root >= world) {
            throw new IllegalArgumentException("root " + root + " outside world of " + world);
        }
        long[] bounds = new long[world + 1];
        java.util.Arrays.fill(bounds, 1, world + 1, end);
        bounds[0] = start;
        run(Op.BROADCAST, Float.BYTES, address, bounds, root, "broadcast", -1);
    }

    /** Returns once every rank has called it. */
    public void barrier() {
        barrier(link.settings().collectiveTimeoutNs(), "barrier");
    }

    /**
     * Returns once every rank has called it, waiting up to {@code timeoutNs} for the last one instead of the
     * collective timeout: for work one rank does while the others wait, such as writing a checkpoint.
     */
    public void barrier(long timeoutNs, String label) {
        scalarScratch.putDouble(0, 0);
        allReduceDoubles(1, label, timeoutNs);
    }

    /**
     * Sums up to 64 doubles over ranks, in place, in one ring pass: each is summed as
     * {@code ((v[1] + v[2]) + ...) + v[0]}, the same on every rank.
     */
    public void allReduceSum(double[] values) {
        if (values.length > 64) {
            throw new IllegalArgumentException("at most 64 scalars per all-reduce, got " + values.length);
        }
        for (int i = 0; i < values.length; i++) {
            scalarScratch.putDouble(i * Double.BYTES, values[i]);
        }
        allReduceDoubles(values.length, "all-reduce of scalars", link.settings().collectiveTimeoutNs());
        for (int i = 0; i < values.length; i++) {
            values[i] = scalarScratch.getDouble(i * Double.BYTES);
        }
    }

    /** All scalars in segment 0: they travel as one chunk, summed from rank 1 round to rank 0. */
    private void allReduceDoubles(int count, String label, long timeoutNs) {
        scalarBounds[0] = 0;
        for (int i = 1; i <= world; i++) {
            scalarBounds[i] = count;
        }
        run(Op.ALL_REDUCE, Double.BYTES, BufferUtil.address(scalarScratch), scalarBounds, 0, label, -1, timeoutNs);
    }

    private void run(Op op, int elementSize, long address, long[] bounds, int root, String label, int tag) {
        run(op, elementSize, address, bounds, root, label, tag, link.settings().collectiveTimeoutNs());
    }

    private void run(Op op, int elementSize, long address, long[] bounds, int root, String label, int tag, long timeoutNs) {
        if (failure != null) {
            throw new CollectiveFailure(failure.getMessage(), failure);
        }
        if (bounds.length != world + 1) {
            throw new IllegalArgumentException("need " + (world + 1) + " segment bounds, got " + bounds.length);
        }
        for (int i = 1; i <= world; i++) {
            if (bounds[i] < bounds[i - 1] || bounds[0] < 0) {
                throw new IllegalArgumentException("segment bounds must be non-negative and non-decreasing");
            }
        }
        try {
            pass.run(op, elementSize, address, bounds, root, seq++, label, tag, timeoutNs);
        } catch (TwllmException e) {
            failure = e;
            throw e;
        }
    }

    /** The native address of a direct float buffer's position. */
    public static long address(FloatBuffer buffer) {
        if (!buffer.isDirect() || buffer.order() != ByteOrder.nativeOrder()) {
            throw new IllegalArgumentException("collectives need a direct, native-order buffer");
        }
        // Buffer.address is declared on java.nio.Buffer, so Agrona's ByteBuffer field offset serves any view.
        long base = UnsafeApi.getLong(buffer, BufferUtil.BYTE_BUFFER_ADDRESS_FIELD_OFFSET);
        return base + (long) buffer.position() * Float.BYTES;
    }

    /** The largest chunk of floats one message carries. */
    public int chunkFloats() {
        return pass.chunkElements(Float.BYTES);
    }

    /** Closes the ring streams, then this rank's Aeron client and its embedded driver, if any. */
    @Override
    public void close() {
        link.close();
        link.connection().close();
    }
}
