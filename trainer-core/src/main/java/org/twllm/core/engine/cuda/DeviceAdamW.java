package org.twllm.core.engine.cuda;

import org.twllm.core.engine.DecayMask;
import org.twllm.core.engine.OwnedTensor;

/**
 * AdamW on the device over the owned partition {@code [start, end)} of the flat buffers: fp32 master
 * weights and fp32 moments of the partition's length, the update of org.twllm.core.engine.cpu.CpuAdamW
 * (bit-identical; see adamw.cu), and the compute copy of the partition rewritten in the storage type.
 * In fp32 the compute copy is the master (no second buffer). Launched once per segment of equal decay.
 */
public final class DeviceAdamW implements AutoCloseable {
    private final DeviceLlamaModel model;
    private final Kernels k;
    private final long start;
    private final long end;
    private final DecayMask mask;
    private final double beta1;
    private final double beta2;
    private final double epsilon;
    private final double weightDecay;
    private final DeviceBuffer master;
    private final DeviceBuffer expAvg;
    private final DeviceBuffer expAvgSq;
    private final DeviceBuffer normScratch;
    private final DeviceBuffer norm;
    private long updates;

    /**
     * Fresh moments; the master copy starts as the model's current compute parameters of the partition
     * (exact in fp32; in bf16 load the fp32 values with {@link #setMaster}).
     */
    public DeviceAdamW(DeviceLlamaModel model, long start, long end, double beta1, double beta2, double epsilon,
            double weightDecay) {
        Gpu gpu = model.gpu();
        this.model = model;
        this.k = new Kernels(gpu, model.storageType());
        this.start = start;
        this.end = end;
        this.mask = DecayMask.of(model.layout());
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.epsilon = epsilon;
        this.weightDecay = weightDecay;
        long n = end - start;
        this.master = model.storageType() == StorageType.F32 ? null : gpu.allocate(4 * n);
        if (master != null) {
            k.bf16ToF32(model.parameterBuffer().at(2 * start), master.address(), n);
        }
        this.expAvg = gpu.allocate(4 * n);
        this.expAvgSq = gpu.allocate(4 * n);
        gpu.fill(expAvg.address(), 0, 4 * n);
        gpu.fill(expAvgSq.address(), 0, 4 * n);
        this.normScratch = gpu.allocate(8L * k.sumOfSquaresScratch());
        this.norm = gpu.allocate(8);
    }

    /** Sets fp32 master values from partition offset {@code offset}, and the compute copy from them. */
    public void setMaster(long offset, float[] values) {
        if (offset < 0 || offset + values.length > end - start) {
            throw new IndexOutOfBoundsException("master values [" + offset + ", " + (offset + values.length) + ") outside the partition");
        }
        if (master != null) {
            HostTransfer.upload(k.gpu(), master.address() + 4 * offset, values, StorageType.F32);
        }
        model.setParameters(start + offset, values);
    }

    /**
     * Sets fp32 master values from partition offset {@code offset} and nothing else, for a caller that set the
     * compute copy from the same values (rounded) already. In fp32 the compute copy is the master: nothing to do.
     */
    public void setMasterOnly(long offset, float[] values) {
        requireInside(offset, values.length);
        if (master != null) {
            HostTransfer.upload(k.gpu(), master.address() + 4 * offset, values, StorageType.F32);
        }
    }

    /** {@code count} values of owned state from partition offset {@code offset}. */
    public float[] read(OwnedTensor tensor, long offset, int count) {
        requireInside(offset, count);
        return HostTransfer.download(k.gpu(), address(tensor) + 4 * offset, count, StorageType.F32);
    }

    /** Sets owned state from partition offset {@code offset}; {@link OwnedTensor#MASTER} also sets the compute copy. */
    public void write(OwnedTensor tensor, long offset, float[] values) {
        if (tensor == OwnedTensor.MASTER) {
            setMaster(offset, values);
            return;
        }
        requireInside(offset, values.length);
        HostTransfer.upload(k.gpu(), address(tensor) + 4 * offset, values, StorageType.F32);
    }

    private long address(OwnedTensor tensor) {
        return switch (tensor) {
            case MASTER -> master == null ? model.parameterBuffer().at(4 * start) : master.address();
            case EXP_AVG -> expAvg.address();
            case EXP_AVG_SQ -> expAvgSq.address();
        };
    }

    private void requireInside(long offset, long count) {
        if (offset < 0 || count < 0 || offset + count > end - start) {
            throw new IndexOutOfBoundsException("owned values [" + offset + ", " + (offset + count) + ") outside the partition of "
                    + (end - start));
        }
    }

    /** Sum of squares of the partition's gradients (fp64), for the global gradient norm. */
    public double gradientSumOfSquares() {
        k.sumOfSquares(model.gradientBuffer().at(4 * start), end - start, normScratch.address(), norm.address());
        return HostTransfer.downloadDoubles(k.gpu(), norm.address(), 1)[0];
    }

    /** One update with learning rate {@code lr} on the gradients times {@code gradScale} (the clip factor). */
    public void step(double lr, double gradScale) {
        updates++;
        AdamWStep step = AdamWStep.of(beta1, beta2, epsilon, weightDecay, lr, updates, gradScale);
        StorageType type = model.storageType();
        long masterBase = master == null ? model.parameterBuffer().at(4 * start) : master.address();
        long computeBase = master == null ? 0 : model.parameterBuffer().at(type.bytes() * start);
        long gradBase = model.gradientBuffer().at(4 * start);
        mask.forEachSegment(start, end, (segStart, segEnd, decays) -> {
            long o = segStart - start;
            k.adamw(masterBase + 4 * o, gradBase + 4 * o, expAvg.address() + 4 * o, expAvgSq.address() + 4 * o,
                    computeBase == 0 ? 0 : computeBase + type.bytes() * o, segEnd - segStart, step, decays ? step.decayFactor() : 1.0);
        });
    }

    public long updates() {
        return updates;
    }

    /** Continues the update count (bias correction's t) of a resumed run. */
    public void setUpdates(long updates) {
        if (updates < 0) {
            throw new IllegalArgumentException("a negative update count: " + updates);
        }
        this.updates = updates;
    }

    @Override
    public void close() {
        if (master != null) {
            master.close();
        }
        expAvg.close();
        expAvgSq.close();
        normScratch.close();
        norm.close();
    }
}
