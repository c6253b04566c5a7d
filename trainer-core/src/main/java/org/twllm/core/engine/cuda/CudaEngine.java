package org.twllm.core.engine.cuda;

import java.util.Arrays;

import org.twllm.core.engine.Decoder;
import org.twllm.core.engine.Engine;
import org.twllm.core.engine.EngineSettings;
import org.twllm.core.engine.GradientBuckets;
import org.twllm.core.engine.GradientSink;
import org.twllm.core.engine.HostBuffer;
import org.twllm.core.engine.LlamaConfig;
import org.twllm.core.engine.OwnedTensor;
import org.twllm.core.engine.ParameterLayout;
import org.twllm.core.engine.Precision;
import org.twllm.core.engine.TokenBatch;
import org.twllm.core.engine.WeightGather;
import org.twllm.errors.TwllmException;

/**
 * The CUDA engine: {@link DeviceLlamaModel} (compute weights in fp32 or bf16 and a flat fp32 gradient buffer
 * on the device) and {@link DeviceAdamW} (fp32 master weights and moments of the owned partition on the device).
 *
 * <p>Gradients leave the device bucket by bucket through {@link BucketPipeline}: with partitioned gradients
 * (zero_stage 2) every micro-batch's backward starts on a zeroed device buffer and each bucket is copied to a
 * pinned host slot as soon as backward has passed it, then handed to the sink, which reduces it over the ranks
 * and adds this rank's part into the host gradient partition ({@link #gradientPartition()}) exactly as with the
 * CPU engine; zero_stage 1 accumulates the micro-batches on the device and hands every bucket over in
 * {@link #flushGradients}. Before the norm and AdamW, the reduced host partition is copied into the owned range
 * of the device gradient buffer (backward is done with it). After AdamW, the owned range of the compute weights
 * travels through the all-gather in a host staging buffer and the whole gathered layout goes back to the device.
 *
 * <p>Device memory: compute weights P x bytes(precision), gradients P x 4 (the full layout, not P_r: backward
 * writes by layout offset; see docs/gpu.md), master P_r x 4 (bf16 only), moments 2 x P_r x 4, activations of
 * one micro-batch. Host: the gradient partition P_r x 4, {@link EngineSettings#BUCKET_BUFFERS} pinned buckets,
 * and with several ranks a staging copy of the compute weights for the all-gather. Driven by one thread.
 */
final class CudaEngine implements Engine {
    private final Gpu gpu;
    private final EngineSettings settings;
    private final DeviceLlamaModel model;
    private final DeviceAdamW optimizer;
    private final GradientBuckets buckets;
    private final BucketCopies copies;
    private final BucketPipeline pipeline;
    private final HostBuffer partition;
    private HostBuffer gatherStaging;
    /** Whether the device's owned gradient range holds the host partition (it does after the first upload of a step). */
    private boolean partitionOnDevice;

    /**
     * Takes ownership of {@code gpu} (closed with the engine).
     *
     * @param keyTile     attention key tile
     * @param lmHeadChunk most logits of one LM-head chunk
     */
    CudaEngine(Gpu gpu, BucketCopies.Maker copyMaker, LlamaConfig config, EngineSettings settings, int keyTile, long lmHeadChunk) {
        ParameterLayout layout = new ParameterLayout(config);
        settings.requireOwnedWithin(layout);
        this.gpu = gpu;
        this.settings = settings;
        DeviceLlamaModel m = null;
        DeviceAdamW o = null;
        BucketCopies c = null;
        try {
            StorageType type = settings.precision() == Precision.BF16 ? StorageType.BF16 : StorageType.F32;
            m = new DeviceLlamaModel(gpu, config, type, settings.maxMicroBatch(), settings.maxSeqLen(),
                    Math.min(keyTile, settings.maxSeqLen()), lmHeadChunk);
            if (settings.trains()) {
                o = new DeviceAdamW(m, settings.ownedStart(), settings.ownedEnd(), settings.adamW().beta1(),
                        settings.adamW().beta2(), settings.adamW().epsilon(), settings.adamW().weightDecay());
                long bucketElements = Math.min(settings.bucketElements(), layout.total());
                c = copyMaker.make(EngineSettings.BUCKET_BUFFERS, bucketElements);
            }
        } catch (RuntimeException e) {
            closeAll(c, o, m, gpu);
            throw e;
        }
        this.model = m;
        this.optimizer = o;
        this.copies = c;
        this.buckets = new GradientBuckets(layout.total(), settings.bucketElements());
        this.pipeline = c == null ? null : new BucketPipeline(buckets, c, m.gradientBuffer().address());
        this.partition = HostBuffer.allocate(settings.trains() ? settings.ownedLength() : 0, HostBuffer.Element.F32);
    }

    @Override
    public LlamaConfig config() {
        return model.config();
    }

    @Override
    public ParameterLayout layout() {
        return model.layout();
    }

    @Override
    public EngineSettings settings() {
        return settings;
    }

    @Override
    public void readWeights(long offset, float[] dst, int count) {
        System.arraycopy(model.parameters(offset, count), 0, dst, 0, count);
    }

    @Override
    public void writeWeights(long offset, float[] src, int count) {
        float[] values = count == src.length ? src : Arrays.copyOf(src, count);
        model.setParameters(offset, values);
        if (optimizer != null && settings.precision() == Precision.BF16) {
            // the owned part of the fp32 master gets the values exactly (the compute copy got them rounded)
            settings.forOwnedPart(offset, count,
                    (at, from, length) -> optimizer.setMasterOnly(at, Arrays.copyOfRange(values, from, from + length)));
        }
    }

    @Override
    public double loss(TokenBatch batch) {
        float[] logProbs = model.targetLogProbs(batch);
        double sum = 0;
        for (float lp : logProbs) {
            if (!Float.isNaN(lp)) {
                sum -= lp;
            }
        }
        return sum;
    }

    @Override
    public float[] targetLogProbs(TokenBatch batch) {
        return model.targetLogProbs(batch);
    }

    @Override
    public Decoder decoder() {
        throw new TwllmException("the CUDA engine trains and scores but does not decode yet; generate, chat, eval and serve"
                + " run on the CPU engine");
    }

    @Override
    public void zeroGradients() {
        settings.requireTraining();
        partition.zero();
        model.zeroGradients();
        partitionOnDevice = false;
    }

    @Override
    public double forwardBackward(TokenBatch batch, double lossScale, GradientSink sink) {
        settings.requireTraining();
        partitionOnDevice = false;
        if (!settings.partitionedGradients()) {
            return model.forwardBackward(batch, lossScale);
        }
        // each micro-batch's buckets carry only its own gradients: the sink accumulates them into the partition
        model.zeroGradients();
        pipeline.begin(sink);
        double loss = model.forwardBackward(batch, lossScale, pipeline::finalFrom);
        pipeline.finish();
        return loss;
    }

    @Override
    public void flushGradients(GradientSink sink) {
        settings.requireTraining();
        if (!settings.partitionedGradients()) {
            partitionOnDevice = false;
            pipeline.begin(sink);
            pipeline.finalFrom(0);
            pipeline.finish();
        }
    }

    @Override
    public HostBuffer gradientPartition() {
        return partition;
    }

    @Override
    public double gradientSumOfSquares() {
        settings.requireTraining();
        partitionToDevice();
        return optimizer.gradientSumOfSquares();
    }

    @Override
    public void optimizerStep(double lr, double clipFactor) {
        settings.requireTraining();
        partitionToDevice();
        optimizer.step(lr, clipFactor);
    }

    /** The reduced host partition into the owned range of the device gradient buffer, where DeviceAdamW reads it. */
    private void partitionToDevice() {
        if (!partitionOnDevice) {
            gpu.upload(partition, 0, partition.elements(), model.gradientBuffer().at(Float.BYTES * settings.ownedStart()));
            partitionOnDevice = true;
        }
    }

    @Override
    public void gatherWeights(WeightGather gather) {
        long total = layout().total();
        if (settings.ownedLength() == total) {
            return;
        }
        if (gatherStaging == null) {
            gatherStaging = HostBuffer.allocate(total, settings.precision().element());
        }
        int bytes = model.storageType().bytes();
        long start = settings.ownedStart();
        gpu.download(model.parameterBuffer().at(bytes * start), gatherStaging, start, settings.ownedLength());
        gather.allGather(gatherStaging);
        gpu.upload(gatherStaging, 0, total, model.parameterBuffer().address());
    }

    @Override
    public long optimizerUpdates() {
        settings.requireTraining();
        return optimizer.updates();
    }

    @Override
    public void setOptimizerUpdates(long updates) {
        settings.requireTraining();
        optimizer.setUpdates(updates);
    }

    @Override
    public void readOwned(OwnedTensor tensor, long offset, float[] dst, int count) {
        settings.requireTraining();
        System.arraycopy(optimizer.read(tensor, offset, count), 0, dst, 0, count);
    }

    @Override
    public void writeOwned(OwnedTensor tensor, long offset, float[] src, int count) {
        settings.requireTraining();
        optimizer.write(tensor, offset, count == src.length ? src : Arrays.copyOf(src, count));
    }

    /** Host slots free for buckets (all of them between passes once the sink has released every bucket). */
    int freeBucketSlots() {
        return pipeline.freeSlots();
    }

    @Override
    public void close() {
        partition.close();
        if (gatherStaging != null) {
            gatherStaging.close();
        }
        closeAll(copies, optimizer, model, gpu);
    }

    private static void closeAll(AutoCloseable... parts) {
        for (AutoCloseable part : parts) {
            if (part != null) {
                try {
                    part.close();
                } catch (Exception e) {
                    throw new TwllmException("could not free the GPU's memory: " + e.getMessage(), e);
                }
            }
        }
    }
}
