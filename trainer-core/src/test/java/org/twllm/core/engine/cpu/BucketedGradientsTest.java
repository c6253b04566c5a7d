package org.twllm.core.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.twllm.core.engine.AdamWSettings;
import org.twllm.core.engine.EngineSettings;
import org.twllm.core.engine.GradientBucket;
import org.twllm.core.engine.GradientBuckets;
import org.twllm.core.engine.GradientSink;
import org.twllm.core.engine.LlamaConfig;
import org.twllm.core.engine.ParameterSpec;
import org.twllm.core.engine.Precision;
import org.twllm.core.engine.RandomWeights;
import org.twllm.core.engine.TokenBatch;
import org.twllm.core.train.SingleRank;

/** Partitioned gradients: backward writing into reused bucket buffers in row blocks (issue 11 §3). */
class BucketedGradientsTest {
    private static final AdamWSettings ADAMW = new AdamWSettings(0.9, 0.95, 1e-8, 0.1);

    /** Bucket sizes: 37 (rows of 16 and 24 cross bucket edges), 7 (a row spans three buckets), 4096 (one bucket). */
    @ParameterizedTest(name = "tied={0} bucket={1}")
    @CsvSource({"false, 37", "true, 37", "false, 7", "true, 4096"})
    void gradientsWrittenThroughBucketsMatchTheFullBufferAndFiniteDifferences(boolean tied, int bucket) {
        LlamaModel model = ModelGradientTest.tinyModel(tied, 7);
        TokenBatch batch = ModelGradientTest.packedBatch();
        double scale = 1.0 / batch.trainedTokens();
        FullGradients full = ModelGradientTest.gradients(model);
        model.forwardBackward(batch, scale, full);

        ParameterStore store = model.parameters();
        GradientBuckets buckets = new GradientBuckets(store.numParameters(), bucket);
        BucketedGradients bucketed = new BucketedGradients(buckets, 2, 24, DataType.DOUBLE);
        FullGradients assembled = ModelGradientTest.gradients(model);
        List<Integer> order = new ArrayList<>();
        bucketed.begin((index, start, end, buffer, release) -> {
            order.add(index);
            assembled.values(start, buffer);
            release.run();
        });
        model.forwardBackward(batch, scale, bucketed);
        bucketed.finish();

        List<Integer> expected = new ArrayList<>();
        for (int k = 0; k < buckets.count(); k++) {
            expected.add(k);
        }
        assertEquals(expected, order, "every bucket once, from the end of the layout");
        // the same GEMMs on row blocks: equal to the whole-matrix products up to fp64 rounding
        double diff = assembled.flat().sub(full.flat()).norm2Number().doubleValue();
        assertTrue(diff <= 1e-13 * full.flat().norm2Number().doubleValue(), "bucketed vs full: " + diff);
        for (ParameterSpec s : store.specs()) {
            double err = GradientCheck.relativeError(store.param(s.name()), TestParameters.grad(assembled, s),
                    () -> scale * model.loss(batch), 1, s.offset());
            assertTrue(err < 1e-6, s.name() + ": relative error " + err);
        }
        bucketed.close();
    }

    @Test
    void backwardWaitsForAFreeBufferWhenEveryBufferIsInFlight() throws Exception {
        LlamaModel model = ModelGradientTest.tinyModel(false, 5);
        TokenBatch batch = ModelGradientTest.packedBatch();
        FullGradients full = ModelGradientTest.gradients(model);
        model.forwardBackward(batch, 1.0, full);

        GradientBuckets buckets = new GradientBuckets(model.parameters().numParameters(), 101);
        BucketedGradients bucketed = new BucketedGradients(buckets, 2, 24, DataType.DOUBLE);
        FullGradients assembled = ModelGradientTest.gradients(model);
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        ScheduledExecutorService reducer = Executors.newSingleThreadScheduledExecutor();
        try {
            for (int pass = 0; pass < 2; pass++) {
                bucketed.begin((index, start, end, buffer, release) -> {
                    most.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
                    // a slow reducer: the buffer is read and released later, on another thread
                    reducer.schedule(() -> {
                        assembled.values(start, buffer);
                        inFlight.decrementAndGet();
                        release.run();
                    }, 5, TimeUnit.MILLISECONDS);
                });
                model.forwardBackward(batch, 1.0, bucketed);
                bucketed.finish();
            }
            reducer.shutdown();
            assertTrue(reducer.awaitTermination(10, TimeUnit.SECONDS));
        } finally {
            reducer.shutdownNow();
        }
        assertTrue(buckets.count() > 4, "the test needs several buckets, has " + buckets.count());
        assertEquals(2, most.get(), "never more buckets in flight than buffers");
        double diff = assembled.flat().sub(full.flat().mul(2)).norm2Number().doubleValue();
        assertTrue(diff <= 1e-13 * full.flat().norm2Number().doubleValue(), "two passes through reused buffers: " + diff);
        bucketed.close();
    }

    /** Four layers of 64 wide, 32 tokens: the vocabulary matrices are a small part of the parameters. */
    private static LlamaConfig memoryConfig() {
        return new LlamaConfig(64, 128, 4, 4, 2, 32, 16, 1e-5, 10000.0, false);
    }

    private static CpuEngine engine(LlamaConfig config, long ownedStart, long ownedEnd, boolean partitioned, long bucket) {
        CpuEngine engine = new CpuEngine(config, new EngineSettings(Precision.FP32, ownedStart, ownedEnd, partitioned,
                bucket, ADAMW, false, 2, 8));
        RandomWeights.fill(engine.layout(), 3, 0.05, engine::writeWeights);
        return engine;
    }

    private static TokenBatch batch(int rows, int seed) {
        int n = rows * 8;
        int[] inputs = new int[n];
        int[] targets = new int[n];
        int[] positions = new int[n];
        for (int i = 0; i < n; i++) {
            inputs[i] = (i * 7 + seed) % 32;
            targets[i] = (i * 11 + seed + 1) % 32;
            positions[i] = i % 8;
        }
        return new TokenBatch(rows, 8, inputs, targets, positions, new int[n]);
    }

    /** A sink for rank r of w without communication: adds the owned part of each bucket and releases it. */
    private static GradientSink ownedPartOnly(CpuEngine engine) {
        long owned0 = engine.settings().ownedStart();
        long owned1 = engine.settings().ownedEnd();
        return new GradientSink() {
            @Override
            public void bucketReady(GradientBucket b) {
                long from = Math.max(b.start(), owned0);
                long to = Math.min(b.end(), owned1);
                if (from < to) {
                    engine.gradientPartition().add(from - owned0, b.buffer(), from - b.start(), to - from);
                }
                b.release();
            }

            @Override
            public void awaitAll() {
            }
        };
    }

    @Test
    void aRankOfFourHoldsAQuarterOfTheGradientsPlusTheBucketsNotAFullBuffer() {
        LlamaConfig config = memoryConfig();
        long p = config.numParameters();
        long quarter = (p + 3) / 4;
        long bucket = 4096;
        long vocabulary = (long) config.vocabSize() * config.hiddenSize();
        try (CpuEngine zero2 = engine(config, quarter, 2 * quarter, true, bucket);
             CpuEngine zero1 = engine(config, quarter, 2 * quarter, false, bucket)) {
            for (CpuEngine e : List.of(zero2, zero1)) {
                e.zeroGradients();
                e.forwardBackward(batch(2, 1), 1.0 / 16, ownedPartOnly(e));
                e.flushGradients(ownedPartOnly(e));
            }
            long bytes2 = zero2.gradientBytes();
            long bytes1 = zero1.gradientBytes();
            assertEquals((quarter + EngineSettings.BUCKET_BUFFERS * bucket + vocabulary) * Float.BYTES, bytes2);
            assertEquals((p + quarter + vocabulary) * Float.BYTES, bytes1);
            assertTrue(bytes2 < 0.35 * p * Float.BYTES, bytes2 + " bytes of gradients for " + p + " parameters");
            // and the owned quarters agree: the same gradients, however they were stored
            assertSameUpToBlocking(TestEngines.partition(zero1), TestEngines.partition(zero2));
        }
    }

    @Test
    void accumulatedMicroBatchesThroughBucketsEqualTheFullLocalBuffer() {
        LlamaConfig config = memoryConfig();
        long p = config.numParameters();
        try (CpuEngine zero2 = engine(config, 0, p, true, 1000); CpuEngine zero1 = engine(config, 0, p, false, 1000)) {
            for (CpuEngine e : List.of(zero2, zero1)) {
                GradientSink sink = new SingleRank(p).gradientSink(e.gradientPartition());
                e.zeroGradients();
                e.forwardBackward(batch(2, 1), 1.0 / 24, sink);
                e.forwardBackward(batch(1, 5), 1.0 / 24, sink);
                e.flushGradients(sink);
                sink.awaitAll();
            }
            float[] g1 = TestEngines.partition(zero1);
            float[] g2 = TestEngines.partition(zero2);
            // zero_stage 1 adds micro-batch 2 into micro-batch 1 locally, then into the zeroed partition;
            // zero_stage 2 adds each micro-batch's bucket into the partition: the same fp32 additions
            assertSameUpToBlocking(g1, g2);
        }
    }

    /**
     * Row-block GEMMs may take other BLAS kernels than the whole-matrix ones, so fp32 results differ by a few ulps
     * (measured: up to 3e-7 of the element): every element within 1e-6 of the largest gradient's magnitude.
     */
    private static void assertSameUpToBlocking(float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length);
        double largest = 0;
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            largest = Math.max(largest, Math.abs(expected[i]));
            worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
        }
        assertTrue(largest > 0, "no gradients at all");
        assertTrue(worst <= 1e-6 * largest, "max |difference| " + worst + " of max |gradient| " + largest);
    }
}
