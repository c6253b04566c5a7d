package org.twllm.core.engine.cpu;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.twllm.core.engine.Decoder;
import org.twllm.core.engine.DecayMask;
import org.twllm.core.engine.Engine;
import org.twllm.core.engine.EngineSettings;
import org.twllm.core.engine.GradientBucket;
import org.twllm.core.engine.GradientBuckets;
import org.twllm.core.engine.GradientSink;
import org.twllm.core.engine.HostBuffer;
import org.twllm.core.engine.LlamaConfig;
import org.twllm.core.engine.OwnedTensor;
import org.twllm.core.engine.ParameterLayout;
import org.twllm.core.engine.ParameterSpec;
import org.twllm.core.engine.Precision;
import org.twllm.core.engine.TokenBatch;
import org.twllm.core.engine.WeightGather;

/**
 * The CPU engine: {@link LlamaModel} on ND4J over one flat fp32 parameter buffer, AdamW over the owned partition,
 * and the gradient storage of {@link EngineSettings}. The reference every other engine is tested against.
 */
final class CpuEngine implements Engine {
    private static final Runnable NOTHING_TO_RELEASE = () -> { };

    private final EngineSettings settings;
    private final ParameterStore store;
    private final LlamaModel model;
    private final HostBuffer weights;
    private final GradientBuckets buckets;
    private final HostBuffer partition;
    /** zero_stage 1: the full local buffer every micro-batch adds into; else null. */
    private final FullGradients local;
    private final HostBuffer localBuffer;
    /** Partitioned gradients (zero_stage 2): the reused bucket buffers; else null. */
    private final BucketedGradients bucketed;
    private final CpuAdamW optimizer;
    private BatchDecoder decoder;

    CpuEngine(LlamaConfig config, EngineSettings settings) {
        if (settings.precision() != Precision.FP32) {
            throw new IllegalArgumentException("the CPU engine computes in fp32, not " + settings.precision());
        }
        ParameterLayout layout = new ParameterLayout(config);
        if (settings.ownedEnd() > layout.total()) {
            throw new IllegalArgumentException("owned range [" + settings.ownedStart() + ", " + settings.ownedEnd()
                    + ") beyond the model's " + layout.total() + " parameters");
        }
        this.settings = settings;
        this.store = new ParameterStore(config, DataType.FLOAT);
        this.model = new LlamaModel(store);
        model.setGradientCheckpointing(settings.gradientCheckpointing());
        this.weights = wrap(store.params());
        this.buckets = new GradientBuckets(layout.total(), settings.bucketElements());
        if (settings.trains()) {
            this.partition = HostBuffer.allocate(settings.ownedLength(), HostBuffer.Element.F32);
            if (settings.partitionedGradients()) {
                this.local = null;
                this.localBuffer = null;
                this.bucketed = new BucketedGradients(buckets, EngineSettings.BUCKET_BUFFERS, longestRow(layout), DataType.FLOAT);
            } else {
                this.local = new FullGradients(layout, DataType.FLOAT);
                this.localBuffer = wrap(local.flat());
                this.bucketed = null;
            }
            this.optimizer = new CpuAdamW(settings.adamW(), settings.ownedStart(), settings.ownedEnd(), DecayMask.of(layout));
        } else {
            this.partition = HostBuffer.allocate(0, HostBuffer.Element.F32);
            this.local = null;
            this.localBuffer = null;
            this.bucketed = null;
            this.optimizer = null;
        }
    }

    /** Columns of the widest matrix backward writes in row blocks. */
    private static long longestRow(ParameterLayout layout) {
        long cols = 1;
        for (ParameterSpec s : layout.specs()) {
            if (s.shape().length == 2) {
                cols = Math.max(cols, s.shape()[1]);
            }
        }
        return cols;
    }

    /** A host view of {@code flat} (a 1-D array at the start of its data buffer). */
    private static HostBuffer wrap(INDArray flat) {
        if (flat.offset() != 0) {
            throw new IllegalArgumentException("a view at offset " + flat.offset() + " of its buffer");
        }
        return HostBuffer.wrap(flat.data().addressPointer(), flat.length(), HostBuffer.Element.F32);
    }

    @Override
    public LlamaConfig config() {
        return store.config();
    }

    @Override
    public ParameterLayout layout() {
        return store.layout();
    }

    @Override
    public EngineSettings settings() {
        return settings;
    }

    @Override
    public void readWeights(long offset, float[] dst, int count) {
        store.copyOut(offset, dst, count);
    }

    @Override
    public void writeWeights(long offset, float[] src, int count) {
        store.copyIn(offset, src, count);
    }

    @Override
    public double loss(TokenBatch batch) {
        return model.loss(batch);
    }

    @Override
    public float[] targetLogProbs(TokenBatch batch) {
        return model.targetLogProbs(batch);
    }

    @Override
    public Decoder decoder() {
        if (decoder == null) {
            decoder = new BatchDecoder(DecoderWeights.of(store));
        }
        return decoder;
    }

    @Override
    public void zeroGradients() {
        requireTraining();
        partition.zero();
        if (local != null) {
            local.zero();
        }
    }

    @Override
    public double forwardBackward(TokenBatch batch, double lossScale, GradientSink sink) {
        requireTraining();
        if (bucketed == null) {
            return model.forwardBackward(batch, lossScale, local);
        }
        bucketed.begin((index, start, end, buffer, release) ->
                sink.bucketReady(new GradientBucket(index, start, end, wrap(buffer), release)));
        double loss = model.forwardBackward(batch, lossScale, bucketed);
        bucketed.finish();
        return loss;
    }

    @Override
    public void flushGradients(GradientSink sink) {
        requireTraining();
        if (bucketed != null) {
            return; // every bucket went to the sink during backward
        }
        for (int b = 0; b < buckets.count(); b++) {
            long start = buckets.start(b);
            long end = buckets.end(b);
            sink.bucketReady(new GradientBucket(b, start, end, localBuffer.slice(start, end - start), NOTHING_TO_RELEASE));
        }
    }

    @Override
    public HostBuffer gradientPartition() {
        return partition;
    }

    @Override
    public double gradientSumOfSquares() {
        return partition.sumOfSquares(0, partition.elements());
    }

    @Override
    public void optimizerStep(double lr, double clipFactor) {
        requireTraining();
        optimizer.step(weights.slice(settings.ownedStart(), settings.ownedLength()), partition, lr, clipFactor,
                CpuAdamW.UpdatedChunk.NONE);
    }

    @Override
    public void gatherWeights(WeightGather gather) {
        gather.allGather(weights);
    }

    @Override
    public long optimizerUpdates() {
        requireTraining();
        return optimizer.updates();
    }

    @Override
    public void setOptimizerUpdates(long updates) {
        requireTraining();
        optimizer.setUpdates(updates);
    }

    @Override
    public void readOwned(OwnedTensor tensor, long offset, float[] dst, int count) {
        requireTraining();
        switch (tensor) {
            case MASTER -> store.copyOut(settings.ownedStart() + offset, dst, count);
            case EXP_AVG -> optimizer.expAvg().floats(offset, count).get(dst, 0, count);
            case EXP_AVG_SQ -> optimizer.expAvgSq().floats(offset, count).get(dst, 0, count);
            default -> throw new IllegalArgumentException(tensor.toString());
        }
    }

    @Override
    public void writeOwned(OwnedTensor tensor, long offset, float[] src, int count) {
        requireTraining();
        switch (tensor) {
            case MASTER -> store.copyIn(settings.ownedStart() + offset, src, count);
            case EXP_AVG -> optimizer.expAvg().floats(offset, count).put(src, 0, count);
            case EXP_AVG_SQ -> optimizer.expAvgSq().floats(offset, count).put(src, 0, count);
            default -> throw new IllegalArgumentException(tensor.toString());
        }
    }

    /**
     * Bytes this engine holds for gradients: the fp32 partition, then either the bucket buffers (partitioned) or the
     * full local buffer (zero_stage 1), and the model's [vocab, hidden] scratch once a backward has allocated it.
     */
    long gradientBytes() {
        long held = partition.bytes() + (bucketed != null ? bucketed.bytes() : localBuffer == null ? 0 : localBuffer.bytes());
        return held + model.vocabularyGradientBytes();
    }

    /** The model itself, for tests of this package. */
    LlamaModel model() {
        return model;
    }

    private void requireTraining() {
        if (!settings.trains()) {
            throw new IllegalStateException("this engine was made for forward passes only (no optimizer)");
        }
    }

    @Override
    public void close() {
        partition.close();
        if (optimizer != null) {
            optimizer.close();
            if (local != null) {
                local.flat().close();
            }
            if (bucketed != null) {
                bucketed.close();
            }
        }
        store.params().close();
    }
}
