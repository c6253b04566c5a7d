package org.twllm.core.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.twllm.core.config.TrainingConfig.Precision;
import org.twllm.core.plan.StepTimeModel.StepTime;

/** Step time against hand computations on {@link MemoryModelTest#SHAPE}: 2 samples x 32 tokens, 3 micro-batches. */
class StepTimeModelTest {
    /** 1 TFLOP/s at 50%. */
    private static final double RATE = 0.5e12;
    /** 6 (P - 100 x 64 embedding) + 12 x 2 layers x 64 x 32: the trainer's MFU convention. */
    private static final double FLOPS_PER_TOKEN = 6.0 * (MemoryModelTest.P - 6400) + 12 * 2 * 64 * 32;
    private static final double FORWARD_S = 64 * FLOPS_PER_TOKEN / 3 / RATE;
    private static final double BACKWARD_S = 64 * FLOPS_PER_TOKEN * 2 / 3 / RATE;
    /** 3/4 of the buffer over 8 Gbit/s at efficiency 0.5 (5e8 bytes/s). */
    private static final double SECONDS_PER_BYTE = 0.75 / 5e8;

    private static TrainingSetup setup(int world, boolean checkpointing, long bucketBytes) {
        return new TrainingSetup(MemoryModelTest.SHAPE, 2, 32, 3, Precision.BF16, checkpointing, 2, world, false, false, bucketBytes, 16 << 20);
    }

    private static StepTime step(TrainingSetup s, boolean partitioned, double linkGbps) {
        return new StepTimeModel(1e12, 0.5, new StepTimeModel.Link(linkGbps, 0.5)).step(s, partitioned, 2);
    }

    @Test
    void oneRankIsComputeOnly() {
        StepTime t = step(setup(1, false, 1 << 20), true, 8);
        assertEquals(531_840, FLOPS_PER_TOKEN);
        assertEquals(3 * (FORWARD_S + BACKWARD_S), t.computeS(), 1e-15);
        assertEquals(t.computeS(), t.stepS(), 1e-15);
        assertEquals(0, t.exposedS(), 1e-15);
        assertEquals(3 * 2 * 32 / t.stepS(), t.tokensPerS(), 1e-6);
        assertEquals(0.5, t.mfu(), 1e-12, "without recomputation or communication MFU is the assumed one");
    }

    @Test
    void checkpointingRecomputesOneForwardOfTheBlocks() {
        double plain = step(setup(1, false, 1 << 20), true, 8).computeS();
        double checkpointed = step(setup(1, true, 1 << 20), true, 8).computeS();
        double blockForwardPerToken = 2.0 * 2 * MemoryModelTest.SHAPE.parametersPerLayer() + 4 * 2 * 64 * 32;
        assertEquals(3 * 64 * blockForwardPerToken / RATE, checkpointed - plain, 1e-15);
    }

    @Test
    void aSingleBucketReducedOncePerStepCannotHide() {
        StepTime t = step(setup(4, false, 1 << 20), false, 8);
        double reduce = MemoryModelTest.P * 4 * SECONDS_PER_BYTE;
        double gather = MemoryModelTest.P * 2 * SECONDS_PER_BYTE;
        assertEquals(reduce, t.reduceScatterS(), 1e-15);
        assertEquals(gather, t.allGatherS(), 1e-15);
        assertEquals(reduce + gather, t.exposedS(), 1e-12);
        assertEquals(t.computeS() + reduce + gather, t.stepS(), 1e-12);
    }

    @Test
    void partitionedGradientsReduceEveryMicroBatchAndASlowLinkBoundsTheStep() {
        StepTime t = step(setup(4, false, 1 << 20), true, 8);
        double reduce = MemoryModelTest.P * 4 * SECONDS_PER_BYTE;
        assertEquals(3 * reduce, t.reduceScatterS(), 1e-15);
        // the link starts after the first micro-batch's backward and never idles again
        double end = FORWARD_S + BACKWARD_S + 3 * reduce;
        assertEquals(end - t.computeS() + t.allGatherS(), t.exposedS(), 1e-12);
    }

    @Test
    void manySmallBucketsOnAFastLinkHideBehindBackward() {
        StepTime t = step(setup(4, false, 4096), true, 1e6);
        assertTrue(t.reduceScatterS() > 0);
        assertTrue(t.exposedS() < 0.01 * t.computeS(), "exposed " + t.exposedS() + " s of " + t.computeS() + " s compute");
    }
}
