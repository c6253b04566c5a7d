package org.twllm.core.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.twllm.core.config.TrainingConfig.Precision;
import org.twllm.core.engine.LlamaConfig;

/** The byte formulas against hand computations for a small shape. */
class MemoryModelTest {
    /** h 64, I 128, 2 layers, 4 heads on 2 kv heads (head dim 16, kv width 32), vocab 100, untied. */
    static final LlamaConfig SHAPE = new LlamaConfig(64, 128, 2, 4, 2, 100, 256, 1e-5, 1e4, false);
    /** 2 x 100 x 64 embeddings and head + 2 x (64^2 q + 2 x 64 x 32 k,v + 64^2 o + 3 x 64 x 128 MLP + 2 x 64 norms) + 64. */
    static final long P = 2 * 100 * 64 + 2 * (64 * 64 + 2 * 64 * 32 + 64 * 64 + 3 * 64 * 128 + 2 * 64) + 64;
    /** ceil(P / 4) = 21712, already a multiple of 16. */
    static final long OWNED = 21_712;

    private static TrainingSetup setup(Precision precision, boolean checkpointing, int zeroStage) {
        return new TrainingSetup(SHAPE, 2, 32, 3, precision, checkpointing, zeroStage, 4, false, false, 1 << 20, 16 << 20);
    }

    @Test
    void theShapeHasTheParametersCountedByHand() {
        assertEquals(86_848, P);
        assertEquals(P, SHAPE.numParameters());
        assertEquals(OWNED, setup(Precision.BF16, false, 2).ownedParameters());
    }

    @Test
    void aBf16Zero2GpuRankHoldsWhatTheDesignSays() {
        MemoryBreakdown m = new MemoryModel(DeviceKind.H100_80GB, CpuReserve.MEASURED).estimate(setup(Precision.BF16, false, 2));
        assertEquals(P * 2, m.weights(), "bf16 compute weights, replicated");
        assertEquals(OWNED * 4, m.master(), "fp32 master of the own partition");
        assertEquals(2 * OWNED * 4, m.optimizer(), "two fp32 moments of the own partition");
        assertEquals(OWNED * 4, m.gradients(), "the fp32 gradient partition");
        assertEquals(2L << 20, m.buckets(), "two 1 MiB bucket buffers");
        // per token per layer: fp32 x, 1/rms, log-sum-exp (4 heads), x after attention, 1/rms; bf16 normalised input,
        // q, k and v (2 x 32), merged heads, MLP input, gate and up (2 x 128)
        long layer = (64 + 1 + 4 + 64 + 1) * 4 + (64 + 64 + 2 * 32 + 64 + 64 + 2 * 128) * 2;
        // final norm input and 1/rms (fp32), its bf16 output, the fp32 hidden-state gradient
        long head = (64 + 1) * 4 + 64 * 2 + 64 * 4;
        long tokens = 2 * 32;
        assertEquals(tokens * (2 * layer + head), m.activations());
        // one layer's backward scratch, the LM-head chunk (all 64 x 100 logits: fp32 and bf16), the score tiles
        // [2 kv heads, 32, 32] (fp32 twice, bf16 once), row statistics and the fp32 output accumulator, cuBLAS
        long scratch = tokens * ((5 * 64 + 2 * 32 + 4 * 128) * 2 + (3 * 64 + 2 * 32 + 4) * 4)
                + tokens * 100 * (4 + 2) + 2 * 32 * 32 * (4 + 4 + 2) + 2 * tokens * 4 * 4 + tokens * 64 * 4 + (32L << 20);
        assertEquals(scratch, m.workspace());
        assertEquals(1L << 30, m.reserve());
        assertEquals(m.weights() + m.master() + m.optimizer() + m.gradients() + m.buckets() + m.activations() + m.workspace()
                + m.reserve(), m.total());
    }

    @Test
    void checkpointingKeepsOneBlockInputPerLayerAndOneLayersState() {
        MemoryBreakdown m = new MemoryModel(DeviceKind.H100_80GB, CpuReserve.MEASURED).estimate(setup(Precision.BF16, true, 2));
        long layer = (64 + 1 + 4 + 64 + 1) * 4 + (64 + 64 + 2 * 32 + 64 + 64 + 2 * 128) * 2;
        long head = (64 + 1) * 4 + 64 * 2 + 64 * 4;
        assertEquals(2 * 32 * (2 * 64 * 4 + layer + head), m.activations());
    }

    @Test
    void zeroStagesChangeWhatIsSharded() {
        MemoryModel gpu = new MemoryModel(DeviceKind.A100_80GB, CpuReserve.MEASURED);
        MemoryBreakdown plain = gpu.estimate(setup(Precision.FP32, false, 0));
        assertEquals(P * 4, plain.weights(), "fp32 compute weights");
        assertEquals(0, plain.master(), "fp32 runs update the compute weights' own range: no master copy");
        assertEquals(2 * P * 4, plain.optimizer(), "plain data parallelism: every rank the whole optimizer");
        assertEquals(P * 4, plain.gradients());
        assertEquals(0, plain.buckets());
    }

    @Test
    void theCpuEngineKeepsAFullGradientBufferAndItsMeasuredReserve() {
        TrainingSetup s = setup(Precision.FP32, false, 2);
        CpuReserve reserve = new CpuReserve(300L << 20);
        MemoryBreakdown m = new MemoryModel(DeviceKind.CPU, reserve).estimate(s);
        assertEquals(P * 4, m.weights());
        assertEquals(2 * OWNED * 4, m.optimizer());
        assertEquals((P + OWNED + (long) SHAPE.vocabSize() * SHAPE.hiddenSize()) * 4, m.gradients(),
                "today's CPU engine: a full-size local buffer, the owned partition and the vocabulary-sized head/embedding buffer");
        assertEquals(0, m.buckets());
        assertEquals((long) (CpuEngineMemory.stepBytes(s) * 1.05) + (long) (CpuEngineMemory.blockBytes(s) * 1.05), m.activations(),
                "the step and block workspaces; no block-forward or forward-only one without checkpointing or validation");
        assertEquals((long) (CpuEngineMemory.chunkBytes(s) * 1.05) + (long) (CpuEngineMemory.attentionRowBytes(s) * 1.05)
                + CpuEngineMemory.attentionTileBytes(s), m.workspace());
        assertEquals((300L << 20) + 2 * 3 * (16L << 20), m.reserve(), "base, and two Aeron logs of three 16 MiB terms");
        assertEquals(P * 4, new MemoryModel(DeviceKind.CPU, reserve).estimate(setup(Precision.BF16, false, 2)).weights(),
                "the CPU keeps bf16-rounded weights in fp32 arrays");
    }

    @Test
    void theLargestMicroBatchIsTheLastThatFits() {
        MemoryModel gpu = new MemoryModel(DeviceKind.H100_80GB, CpuReserve.MEASURED);
        TrainingSetup s = setup(Precision.BF16, false, 2);
        long fiveFit = gpu.estimate(s.withMicroBatch(5)).total();
        assertEquals(5, gpu.maxMicroBatch(s, fiveFit));
        assertEquals(4, gpu.maxMicroBatch(s, fiveFit - 1));
        assertEquals(0, gpu.maxMicroBatch(s, gpu.estimate(s.withMicroBatch(1)).total() - 1));
        int large = gpu.maxMicroBatch(s, 80L << 30);
        assertTrue(gpu.estimate(s.withMicroBatch(large)).total() <= 80L << 30);
        assertTrue(gpu.estimate(s.withMicroBatch(large + 1)).total() > 80L << 30);
    }
}
