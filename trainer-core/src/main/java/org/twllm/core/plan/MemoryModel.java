package org.twllm.core.plan;

import org.twllm.core.config.TrainingConfig.Precision;

/**
 * Peak memory of one rank. The parameter state follows the ZeRO layout every engine shares: compute weights
 * replicated, fp32 master weights (bf16 runs) and AdamW moments over this rank's partition (the whole model for
 * ZeRO 0); gradients, buckets, activations, scratch and the reserve are the engine's own
 * ({@link CpuEngineMemory}, {@link GpuEngineMemory}).
 */
public final class MemoryModel {
    /** Micro-batches beyond this are not searched (2^20 samples). */
    static final int MAX_SEARCHED_MICRO_BATCH = 1 << 20;

    private final DeviceKind device;
    private final CpuReserve cpuReserve;

    /** @param cpuReserve what a CPU process holds before any tensor (used for {@link DeviceKind#CPU} only) */
    public MemoryModel(DeviceKind device, CpuReserve cpuReserve) {
        this.device = device;
        this.cpuReserve = cpuReserve;
    }

    /** The bytes of one rank running {@code s}. */
    public MemoryBreakdown estimate(TrainingSetup s) {
        int compute = device.computeBytes(s.precision());
        long p = s.shape().numParameters();
        long sharded = s.zeroStage() == 0 ? p : s.ownedParameters();
        long weights = p * compute;
        long master = s.precision() == Precision.FP32 ? 0 : sharded * Float.BYTES;
        long optimizer = 2 * sharded * Float.BYTES;
        if (device.isCpu()) {
            return new MemoryBreakdown(weights, master, optimizer, CpuEngineMemory.gradients(s), 0,
                    CpuEngineMemory.activations(s), CpuEngineMemory.scratch(s), cpuReserve.bytes(s));
        }
        return new MemoryBreakdown(weights, master, optimizer, GpuEngineMemory.gradients(s), GpuEngineMemory.buckets(s),
                GpuEngineMemory.activations(s, compute), GpuEngineMemory.scratch(s, compute), GpuEngineMemory.CONTEXT_RESERVE);
    }

    /**
     * Whether the engine keeps only a gradient partition and reduce-scatters every micro-batch into it (ZeRO-2 as
     * DeepSpeed does it); the CPU engine today keeps a full-size buffer and reduces once per step.
     */
    public boolean partitionedGradients(TrainingSetup s) {
        return !device.isCpu() && s.zeroStage() == 2;
    }

    /**
     * The largest micro-batch whose estimate fits {@code capacityBytes}, 0 when not even one sample does (the
     * estimate grows with the micro-batch, so a binary search finds it).
     */
    public int maxMicroBatch(TrainingSetup s, long capacityBytes) {
        if (estimate(s.withMicroBatch(1)).total() > capacityBytes) {
            return 0;
        }
        int fits = 1;
        int tooBig = 2;
        while (tooBig <= MAX_SEARCHED_MICRO_BATCH && estimate(s.withMicroBatch(tooBig)).total() <= capacityBytes) {
            fits = tooBig;
            tooBig *= 2;
        }
        if (tooBig > MAX_SEARCHED_MICRO_BATCH) {
            return fits;
        }
        while (tooBig - fits > 1) {
            int mid = (fits + tooBig) >>> 1;
            if (estimate(s.withMicroBatch(mid)).total() <= capacityBytes) {
                fits = mid;
            } else {
                tooBig = mid;
            }
        }
        return fits;
    }
}
