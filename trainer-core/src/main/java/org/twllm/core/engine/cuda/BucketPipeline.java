package org.twllm.core.engine.cuda;

import java.util.ArrayDeque;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;

import org.twllm.core.engine.GradientBucket;
import org.twllm.core.engine.GradientBuckets;
import org.twllm.core.engine.GradientSink;
import org.twllm.errors.TwllmException;

/**
 * Moves finished gradient buckets from the device's flat fp32 gradient buffer to data parallelism's sink while
 * backward goes on. Backward reports a falling mark ({@link #finalFrom}): every gradient at or above it is
 * issued. Each bucket wholly above the mark starts copying into a free host slot at once (the copy waits on
 * the device for the compute issued so far, never the host); the copies started at one mark are awaited at the
 * next one, when the device already has the following layer's work queued, and handed to the sink in bucket
 * order. A slot is free again when the sink releases its bucket; with every slot taken, backward waits.
 */
final class BucketPipeline {
    private final GradientBuckets buckets;
    private final BucketCopies copies;
    private final long deviceGradients;
    private final LinkedBlockingQueue<Integer> free = new LinkedBlockingQueue<>();
    private final ArrayDeque<int[]> copying = new ArrayDeque<>();
    private GradientSink sink;
    private int next;

    /** @param deviceGradients device address of the flat fp32 gradient buffer (element 0 of the layout) */
    BucketPipeline(GradientBuckets buckets, BucketCopies copies, long deviceGradients) {
        this.buckets = buckets;
        this.copies = copies;
        this.deviceGradients = deviceGradients;
        for (int slot = 0; slot < copies.slots(); slot++) {
            free.add(slot);
        }
    }

    /** Starts a pass over every bucket (one backward, or zero_stage 1's flush) that hands them to {@code sink}. */
    void begin(GradientSink sink) {
        // a pass that failed half-way (a bad batch) leaves copies nobody will take: their slots come back
        while (!copying.isEmpty()) {
            int slot = copying.poll()[1];
            copies.await(slot);
            free.add(slot);
        }
        this.sink = sink;
        this.next = 0;
    }

    /** Every gradient of flat elements {@code >= flatIndex} is issued on the compute stream. */
    void finalFrom(long flatIndex) {
        handOverCopied();
        while (next < buckets.count() && buckets.start(next) >= flatIndex) {
            int slot = freeSlot();
            copies.start(slot, deviceGradients + Float.BYTES * buckets.start(next), buckets.end(next) - buckets.start(next));
            copying.add(new int[] {next, slot});
            next++;
        }
    }

    /** Ends the pass: every bucket was started (the mark reached 0) and is now with the sink. */
    void finish() {
        if (next != buckets.count()) {
            throw new IllegalStateException("backward ended with " + (buckets.count() - next) + " gradient buckets unfinished");
        }
        handOverCopied();
    }

    /** Slots not held by a bucket the sink has yet to release. */
    int freeSlots() {
        return free.size();
    }

    private int freeSlot() {
        Integer slot = free.poll();
        if (slot != null) {
            return slot;
        }
        // every slot is copying or with the sink: the copying ones must reach the sink before any can come back
        handOverCopied();
        try {
            return free.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TwllmException("interrupted while waiting for a gradient bucket to be reduced", e);
        }
    }

    private void handOverCopied() {
        while (!copying.isEmpty()) {
            int[] c = copying.poll();
            int bucket = c[0];
            int slot = c[1];
            copies.await(slot);
            long start = buckets.start(bucket);
            long end = buckets.end(bucket);
            AtomicBoolean released = new AtomicBoolean();
            sink.bucketReady(new GradientBucket(bucket, start, end, copies.buffer(slot).slice(0, end - start), () -> {
                if (released.compareAndSet(false, true)) {
                    free.add(slot);
                }
            }));
        }
    }
}
