package org.twllm.dist.collective;

import java.util.concurrent.TimeUnit;

import io.aeron.ExclusivePublication;
import io.aeron.Image;
import io.aeron.Publication;
import io.aeron.logbuffer.BufferClaim;
import io.aeron.logbuffer.ControlledFragmentHandler;
import io.aeron.logbuffer.Header;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.twllm.dist.transport.RingLink;

/**
 * The duty loop of one ring collective: a single offer/poll loop over the publication to the next rank
 * and the subscription from the previous one, fused and pipelined chunk by chunk. A chunk received for
 * a reduce-scatter step is added into the local buffer straight out of Aeron's term buffer and queued to
 * be forwarded at once; nothing waits for a whole step.
 *
 * <p>Ring schedule for {@code w} ranks, rank {@code r}, segment {@code q = [bounds[q], bounds[q+1])}:
 * <ul>
 *   <li>reduce-scatter step {@code s} (0..w-2): send segment {@code r-s-1}, receive segment {@code r-s-2}
 *       and add the local values into it. Segment {@code q} therefore starts at rank {@code q+1} and is
 *       summed as {@code ((g[q+1] + g[q+2]) + ...) + g[q]} (ranks mod w), ending complete at its owner
 *       {@code q}. This order is fixed, so results are bit-for-bit reproducible run to run.</li>
 *   <li>all-gather step {@code s}: send segment {@code r-s}, receive segment {@code r-s-1} and copy it.</li>
 *   <li>all-reduce: both, a chunk's all-gather starting the moment its owner has completed it.</li>
 *   <li>broadcast: the root's range travels the ring, each rank copying and forwarding it.</li>
 * </ul>
 * Reducing in place is safe: a rank receives each segment at most once per phase, and a chunk it still
 * has to send is never overwritten, because the data that would overwrite it depends causally on that send.
 *
 * <p>Messages are one Aeron frame each: a 16-byte header (collective sequence number, kind, step,
 * element offset) and up to {@code (mtu - 32 - 16) / elementSize} elements. Chunk boundaries depend only on
 * the segment bounds and the MTU, so every rank agrees on them. Single-threaded and allocation-free
 * once the send queue has grown to the largest collective.
 */
final class RingPass implements ControlledFragmentHandler {
    static final int HEADER_LENGTH = 16;
    private static final int SEQ_OFFSET = 0;
    private static final int KIND_OFFSET = 4;
    private static final int STEP_OFFSET = 6;
    private static final int ELEMENT_OFFSET = 8;
    private static final int FRAGMENT_LIMIT = 16;

    static final short KIND_REDUCE = 1;
    static final short KIND_GATHER = 2;
    static final short KIND_BROADCAST = 3;
    /** A rank that fails tells the next one why (UTF-8 text) before closing its stream. */
    static final short KIND_FAILURE = 4;

    /** What a pass does; all-reduce is a reduce-scatter whose completed chunks feed an all-gather. */
    enum Op { REDUCE_SCATTER, ALL_GATHER, ALL_REDUCE, BROADCAST }

    private final RingLink link;
    private final ExclusivePublication publication;
    private final Image image;
    private final IdleStrategy idle;
    private final int rank;
    private final int world;
    private final int prev;
    private final int next;
    private final int chunkBytes;
    private final BufferClaim claim = new BufferClaim();
    private final UnsafeBuffer window = new UnsafeBuffer(0, 0);

    // The pass in progress.
    private Op op;
    private int elementSize;
    private boolean doubles;
    private long address;
    private long[] bounds;
    private int root;
    private int seq;
    private long received;
    private long expected;
    private long lastProgressNs;
    private String label;
    /** A pass with no progress for this long fails. */
    private long timeoutNs;
    private int tag;
    /** Set by the fragment handler, thrown by the loop (Aeron would swallow an exception thrown in a handler). */
    private CollectiveFailure handlerFailure;

    // FIFO of chunks to send: kind/step packed in one int, element offset, element count.
    private int[] queueKindStep = new int[64];
    private long[] queueOffset = new long[64];
    private int[] queueCount = new int[64];
    private int queueHead;
    private int queueTail;

    RingPass(RingLink link, int rank, int world, IdleStrategy idle) {
        this.link = link;
        this.publication = link.publication();
        this.image = link.inboundImage();
        this.idle = idle;
        this.rank = rank;
        this.world = world;
        this.prev = (rank - 1 + world) % world;
        this.next = (rank + 1) % world;
        this.chunkBytes = Math.min(publication.maxPayloadLength(), link.settings().mtu() - 32) - HEADER_LENGTH;
    }

    /** Largest chunk in elements of {@code elementSize} bytes (the same on every rank for one MTU). */
    int chunkElements(int elementSize) {
        return chunkBytes / elementSize;
    }

    /**
     * Runs one collective to completion over the elements at {@code address} (native memory of at least
     * {@code bounds[world]} elements); throws {@link CollectiveFailure} if it makes no progress for
     * {@code timeoutNs} or cannot finish.
     */
    void run(Op op, int elementSize, long address, long[] bounds, int root, int seq, String label, int tag, long timeoutNs) {
        this.timeoutNs = timeoutNs;
        this.op = op;
        this.elementSize = elementSize;
        this.doubles = elementSize == Double.BYTES;
        this.address = address;
        this.bounds = bounds;
        this.root = root;
        this.seq = seq;
        this.label = label;
        this.tag = tag;
        this.received = 0;
        this.queueHead = 0;
        this.queueTail = 0;
        this.expected = expectedChunks();
        enqueueInitialChunks();
        lastProgressNs = System.nanoTime();
        idle.reset();
        while (received < expected || queueHead < queueTail) {
            int work = sendQueued();
            if (received < expected) {
                work += image.controlledPoll(this, FRAGMENT_LIMIT);
                if (handlerFailure != null) {
                    CollectiveFailure failure = handlerFailure;
                    handlerFailure = null;
                    throw failure;
                }
            }
            if (work > 0) {
                lastProgressNs = System.nanoTime();
                idle.reset();
            } else {
                checkHealth();
                idle.idle();
            }
        }
    }

    private long expectedChunks() {
        long chunks = 0;
        switch (op) {
            case REDUCE_SCATTER -> chunks = reduceReceives();
            case ALL_GATHER -> chunks = gatherReceives();
            case ALL_REDUCE -> chunks = reduceReceives() + gatherReceives();
            case BROADCAST -> chunks = rank == root ? 0 : chunksIn(bounds[0], bounds[world]);
            default -> throw new IllegalStateException();
        }
        return chunks;
    }

    private long reduceReceives() {
        long chunks = 0;
        for (int s = 0; s < world - 1; s++) {
            int q = segment(rank - s - 2);
            chunks += chunksIn(bounds[q], bounds[q + 1]);
        }
        return chunks;
    }

    private long gatherReceives() {
        long chunks = 0;
        for (int s = 0; s < world - 1; s++) {
            int q = segment(rank - s - 1);
            chunks += chunksIn(bounds[q], bounds[q + 1]);
        }
        return chunks;
    }

    private long chunksIn(long start, long end) {
        long per = chunkElements(elementSize);
        return (end - start + per - 1) / per;
    }

    private int segment(int index) {
        return ((index % world) + world) % world;
    }

    private void enqueueInitialChunks() {
        if (world == 1) {
            return;
        }
        switch (op) {
            case REDUCE_SCATTER, ALL_REDUCE -> enqueueSegment(KIND_REDUCE, segment(rank - 1));
            case ALL_GATHER -> enqueueSegment(KIND_GATHER, rank);
            case BROADCAST -> {
                if (rank == root) {
                    enqueueRange(KIND_BROADCAST, 0, bounds[0], bounds[world]);
                }
            }
            default -> throw new IllegalStateException();
        }
    }

    private void enqueueSegment(short kind, int q) {
        enqueueRange(kind, 0, bounds[q], bounds[q + 1]);
    }

    private void enqueueRange(short kind, int step, long start, long end) {
        int per = chunkElements(elementSize);
        for (long offset = start; offset < end; offset += per) {
            enqueue(kind, step, offset, (int) Math.min(per, end - offset));
        }
    }

    private void enqueue(short kind, int step, long offset, int count) {
        if (queueTail == queueOffset.length) {
            growQueue();
        }
        queueKindStep[queueTail] = (kind << 16) | step;
        queueOffset[queueTail] = offset;
        queueCount[queueTail] = count;
        queueTail++;
    }

    private void growQueue() {
        int live = queueTail - queueHead;
        int capacity = Math.max(64, live * 2);
        int[] kindStep = new int[capacity];
        long[] offset = new long[capacity];
        int[] count = new int[capacity];
        System.arraycopy(queueKindStep, queueHead, kindStep, 0, live);
        System.arraycopy(queueOffset, queueHead, offset, 0, live);
        System.arraycopy(queueCount, queueHead, count, 0, live);
        queueKindStep = kindStep;
        queueOffset = offset;
        queueCount = count;
        queueHead = 0;
        queueTail = live;
    }

    /** Offers queued chunks until the queue is empty or the publication pushes back. */
    private int sendQueued() {
        int sent = 0;
        while (queueHead < queueTail) {
            int count = queueCount[queueHead];
            int bytes = count * elementSize;
            long result = publication.tryClaim(HEADER_LENGTH + bytes, claim);
            if (result > 0) {
                MutableDirectBuffer out = claim.buffer();
                int at = claim.offset();
                int kindStep = queueKindStep[queueHead];
                long offset = queueOffset[queueHead];
                out.putInt(at + SEQ_OFFSET, seq);
                out.putShort(at + KIND_OFFSET, (short) (kindStep >>> 16));
                out.putShort(at + STEP_OFFSET, (short) kindStep);
                out.putLong(at + ELEMENT_OFFSET, offset);
                window.wrap(address + offset * elementSize, bytes);
                out.putBytes(at + HEADER_LENGTH, window, 0, bytes);
                claim.commit();
                queueHead++;
                sent++;
            } else if (result == Publication.BACK_PRESSURED || result == Publication.ADMIN_ACTION) {
                break;
            } else {
                throw fail(result == Publication.NOT_CONNECTED
                        ? "lost the connection to rank " + next + " in " + what() + "; rank " + next
                            + " died or stopped after an error"
                        : "cannot send to rank " + next + " in " + what() + " (" + Publication.errorString(result) + ")"
                            + asyncErrorText());
            }
        }
        if (queueHead == queueTail) {
            queueHead = 0;
            queueTail = 0;
        }
        return sent;
    }

    @Override
    public Action onFragment(DirectBuffer buffer, int offset, int length, Header header) {
        if (buffer.getShort(offset + KIND_OFFSET) == KIND_FAILURE) {
            String cause = buffer.getStringWithoutLengthUtf8(offset + HEADER_LENGTH, length - HEADER_LENGTH);
            int root = cause.lastIndexOf(" because rank ");
            handlerFailure = fail("stopping in " + what() + " because " + (root < 0 ? cause : cause.substring(root + 9)));
            return Action.ABORT;
        }
        int messageSeq = buffer.getInt(offset + SEQ_OFFSET);
        if (received == expected) {
            // A later collective's data, polled in the same batch: it stays in the image for its own pass.
            return Action.ABORT;
        }
        if (messageSeq != seq) {
            handlerFailure = fail("got data of collective #" + messageSeq + " from rank " + prev + " while in #" + seq + " "
                    + what() + "; the ranks ran different collectives (a bug or mismatched configs)");
            return Action.ABORT;
        }
        short kind = buffer.getShort(offset + KIND_OFFSET);
        int step = buffer.getShort(offset + STEP_OFFSET);
        long elementOffset = buffer.getLong(offset + ELEMENT_OFFSET);
        int bytes = length - HEADER_LENGTH;
        int count = bytes / elementSize;
        if (!chunkExpected(kind, step, elementOffset, count)) {
            handlerFailure = fail("got an unexpected chunk (kind " + kind + ", step " + step + ", elements [" + elementOffset
                    + ", " + (elementOffset + count) + ")) from rank " + prev + " in " + what()
                    + "; the ranks disagree on the buffer layout (mismatched model or transport settings)");
            return Action.ABORT;
        }
        window.wrap(address + elementOffset * elementSize, bytes);
        int src = offset + HEADER_LENGTH;
        if (kind == KIND_REDUCE) {
            if (doubles) {
                for (int b = 0; b < bytes; b += Double.BYTES) {
                    window.putDouble(b, buffer.getDouble(src + b) + window.getDouble(b));
                }
            } else {
                for (int b = 0; b < bytes; b += Float.BYTES) {
                    window.putFloat(b, buffer.getFloat(src + b) + window.getFloat(b));
                }
            }
            if (step < world - 2) {
                enqueue(KIND_REDUCE, step + 1, elementOffset, count);
            } else if (op == Op.ALL_REDUCE) {
                enqueue(KIND_GATHER, 0, elementOffset, count); // this rank owns the chunk, now complete
            }
        } else {
            window.putBytes(0, buffer, src, bytes);
            if (kind == KIND_GATHER && step < world - 2) {
                enqueue(KIND_GATHER, step + 1, elementOffset, count);
            } else if (kind == KIND_BROADCAST && next != root) {
                enqueue(KIND_BROADCAST, step + 1, elementOffset, count);
            }
        }
        received++;
        return Action.CONTINUE;
    }

    /** A chunk must belong to the segment the schedule says arrives at this step; anything else is a bug. */
    private boolean chunkExpected(short kind, int step, long elementOffset, int count) {
        int q;
        boolean kindExpected;
        if (kind == KIND_REDUCE) {
            q = segment(rank - step - 2);
            kindExpected = op == Op.REDUCE_SCATTER || op == Op.ALL_REDUCE;
        } else if (kind == KIND_GATHER) {
            q = segment(rank - step - 1);
            kindExpected = op == Op.ALL_GATHER || op == Op.ALL_REDUCE;
        } else {
            q = -1;
            kindExpected = op == Op.BROADCAST;
        }
        long start = q < 0 ? bounds[0] : bounds[q];
        long end = q < 0 ? bounds[world] : bounds[q + 1];
        return kindExpected && step <= world - 2 && elementOffset >= start && elementOffset + count <= end;
    }

    /** Called when a duty cycle did nothing: fails on a lost neighbour, an Aeron error or no progress. */
    private void checkHealth() {
        Throwable async = link.connection().asyncError();
        if (async != null) {
            throw fail("Aeron failed in " + what() + ": " + async.getMessage());
        }
        if (received < expected) {
            if (image.isClosed() || image.isEndOfStream()) {
                throw fail("lost the stream from rank " + prev + " in " + what() + "; rank " + prev
                        + " died or stopped after an error");
            }
        }
        long silentNs = System.nanoTime() - lastProgressNs;
        if (silentNs > timeoutNs) {
            long seconds = TimeUnit.NANOSECONDS.toSeconds(silentNs);
            throw fail(received < expected
                    ? "no data from rank " + prev + " for " + seconds + " s in " + what() + "; rank " + prev
                        + " may have died or hung"
                    : "rank " + next + " accepted no data for " + seconds + " s in " + what() + "; rank " + next
                        + " may have died or hung");
        }
    }

    private String asyncErrorText() {
        Throwable async = link.connection().asyncError();
        return async == null ? "" : "; Aeron reported: " + async.getMessage();
    }

    private String what() {
        return tag >= 0 ? label + " (bucket " + tag + ")" : label;
    }

    /**
     * Tells the next rank why we stop and closes our publication once the notice has left this process
     * ({@link RingLink#closePublication}), so the failure spreads around the ring and every rank reports
     * the rank that started it, even when this process exits at once. Only a next rank that is gone or
     * accepts nothing misses the notice.
     */
    private CollectiveFailure fail(String reason) {
        String message = "rank " + rank + ": " + reason;
        byte[] text = message.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        int length = Math.min(text.length, chunkBytes);
        UnsafeBuffer notice = new UnsafeBuffer(new byte[HEADER_LENGTH + length]);
        notice.putInt(SEQ_OFFSET, seq);
        notice.putShort(KIND_OFFSET, KIND_FAILURE);
        notice.putBytes(HEADER_LENGTH, text, 0, length);
        for (int attempt = 0; attempt < 100 && !publication.isClosed(); attempt++) {
            long result = publication.offer(notice);
            if (result > 0 || result == Publication.NOT_CONNECTED || result == Publication.CLOSED) {
                break;
            }
            idle.idle();
        }
        link.closePublication();
        return new CollectiveFailure(message);
    }
}
