package org.twllm.core.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.twllm.core.engine.GradientBucket;
import org.twllm.core.engine.GradientBuckets;
import org.twllm.core.engine.GradientSink;
import org.twllm.core.engine.HostBuffer;

/**
 * The CUDA engine's bucket hand-off on a recording stand-in for the copy stream: a bucket is copied only once
 * backward's mark has passed its start, its copy is awaited before the sink sees it, buckets reach the sink once
 * each in index order with the device's values, a slot is reused only after the sink released it, and backward
 * waits (rather than overwriting) while every slot is held.
 */
class BucketPipelineTest {
    /** A device of {@code values.length} floats at address 1000 and copies into host slots, logging every call. */
    private static final class RecordingCopies implements BucketCopies {
        static final long BASE = 1000;
        final float[] device;
        final HostBuffer[] slots;
        final List<String> log = new ArrayList<>();
        final boolean[] copyPending;
        final long[] copyFrom;
        final long[] copyCount;

        RecordingCopies(float[] device, int slots, long elements) {
            this.device = device;
            this.slots = new HostBuffer[slots];
            this.copyPending = new boolean[slots];
            this.copyFrom = new long[slots];
            this.copyCount = new long[slots];
            for (int i = 0; i < slots; i++) {
                this.slots[i] = HostBuffer.allocate(elements, HostBuffer.Element.F32);
            }
        }

        @Override
        public int slots() {
            return slots.length;
        }

        @Override
        public HostBuffer buffer(int slot) {
            return slots[slot];
        }

        @Override
        public synchronized void start(int slot, long src, long elements) {
            assertTrue(!copyPending[slot], "slot " + slot + " is copied into again before its last copy was awaited");
            copyPending[slot] = true;
            copyFrom[slot] = (src - BASE) / Float.BYTES;
            copyCount[slot] = elements;
            log.add("start " + copyFrom[slot]);
        }

        @Override
        public synchronized void await(int slot) {
            if (copyPending[slot]) {
                // the copy "lands" only now: a sink reading the slot before await would see stale values
                for (int i = 0; i < copyCount[slot]; i++) {
                    slots[slot].floats(i, 1).put(0, device[(int) (copyFrom[slot] + i)]);
                }
                copyPending[slot] = false;
            }
            log.add("await " + copyFrom[slot]);
        }

        @Override
        public void close() {
            for (HostBuffer b : slots) {
                b.close();
            }
        }
    }

    /** Records every bucket and checks its values; releases at once or, with an executor, a little later. */
    private static final class CheckingSink implements GradientSink {
        final float[] device;
        final List<String> log;
        final List<Integer> seen = new ArrayList<>();
        final ExecutorService later;
        int outstanding;
        int mostOutstanding;

        CheckingSink(float[] device, List<String> log, ExecutorService later) {
            this.device = device;
            this.log = log;
            this.later = later;
        }

        @Override
        public void bucketReady(GradientBucket bucket) {
            synchronized (log) {
                log.add("sink " + bucket.start());
            }
            seen.add(bucket.index());
            for (long e = bucket.start(); e < bucket.end(); e++) {
                assertEquals(device[(int) e], bucket.buffer().floats(e - bucket.start(), 1).get(0), "element " + e);
            }
            synchronized (this) {
                outstanding++;
                mostOutstanding = Math.max(mostOutstanding, outstanding);
            }
            Runnable release = () -> {
                synchronized (this) {
                    outstanding--;
                }
                bucket.release();
                bucket.release(); // a second release must not hand the slot out twice
            };
            if (later == null) {
                release.run();
            } else {
                later.submit(() -> {
                    sleep(20);
                    release.run();
                });
            }
        }

        @Override
        public void awaitAll() {
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static float[] device(int n) {
        float[] d = new float[n];
        for (int i = 0; i < n; i++) {
            d[i] = i * 0.5f + 1;
        }
        return d;
    }

    @Test
    void bucketsLeaveOnceBackwardPassedThemAndReachTheSinkAfterTheirCopy() {
        float[] device = device(100);
        GradientBuckets buckets = new GradientBuckets(100, 30); // [70,100) [40,70) [10,40) [0,10)
        try (RecordingCopies copies = new RecordingCopies(device, 2, 30)) {
            BucketPipeline pipeline = new BucketPipeline(buckets, copies, RecordingCopies.BASE);
            CheckingSink sink = new CheckingSink(device, copies.log, null);
            pipeline.begin(sink);
            pipeline.finalFrom(80);
            assertEquals(List.of(), copies.log, "bucket 0 starts at 70: not final at mark 80");
            pipeline.finalFrom(70);
            assertEquals(List.of("start 70"), copies.log, "bucket 0 copies at once, the sink gets it later");
            pipeline.finalFrom(35);
            assertEquals(List.of("start 70", "await 70", "sink 70", "start 40"), copies.log,
                    "the previous mark's copy is awaited and handed over before new copies start");
            pipeline.finalFrom(0);
            pipeline.finish();
            assertEquals(List.of(0, 1, 2, 3), sink.seen);
            for (int b = 0; b < 4; b++) {
                long start = buckets.start(b);
                assertTrue(copies.log.indexOf("await " + start) < copies.log.indexOf("sink " + start), "bucket " + b + ": " + copies.log);
            }
            assertEquals(2, pipeline.freeSlots(), "every slot is back once the sink released its bucket (twice)");
        }
    }

    @Test
    void backwardWaitsForASlotWhileTheSinkHoldsThemAll() throws Exception {
        float[] device = device(100);
        GradientBuckets buckets = new GradientBuckets(100, 7); // 15 buckets through 2 slots
        ExecutorService later = Executors.newSingleThreadExecutor();
        try (RecordingCopies copies = new RecordingCopies(device, 2, 7)) {
            BucketPipeline pipeline = new BucketPipeline(buckets, copies, RecordingCopies.BASE);
            CheckingSink sink = new CheckingSink(device, copies.log, later);
            for (int pass = 0; pass < 2; pass++) {
                sink.seen.clear();
                pipeline.begin(sink);
                for (long mark = 90; mark >= 0; mark -= 30) {
                    pipeline.finalFrom(mark);
                }
                pipeline.finalFrom(0);
                pipeline.finish();
                List<Integer> all = new ArrayList<>();
                for (int b = 0; b < 15; b++) {
                    all.add(b);
                }
                assertEquals(all, sink.seen, "pass " + pass);
            }
            assertTrue(sink.mostOutstanding <= 2, "never more buckets out than slots: " + sink.mostOutstanding);
        } finally {
            later.shutdown();
            assertTrue(later.awaitTermination(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void aPassThatEndsBeforeTheEmbeddingIsRefused() {
        float[] device = device(10);
        try (RecordingCopies copies = new RecordingCopies(device, 2, 4)) {
            BucketPipeline pipeline = new BucketPipeline(new GradientBuckets(10, 4), copies, RecordingCopies.BASE);
            pipeline.begin(new CheckingSink(device, copies.log, null));
            pipeline.finalFrom(5);
            assertThrows(IllegalStateException.class, pipeline::finish);
            // the next pass starts clean: the abandoned copy's slot comes back
            pipeline.begin(new CheckingSink(device, copies.log, null));
            pipeline.finalFrom(0);
            pipeline.finish();
            assertEquals(2, pipeline.freeSlots());
        }
    }
}
