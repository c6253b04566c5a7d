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
    private final FullGradients local;
    private final HostBuffer localBuffer;
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
            this.local = new FullGradients(layout, DataType.FLOAT);
            this.localBuffer = wrap(local.flat());
            this.optimizer = new CpuAdamW(settings.adamW(), settings.ownedStart(), settings.ownedEnd(), DecayMask.of(layout));
        } else {
            this.partition = HostBuffer.allocate(0, HostBuffer.Element.F32);
            this.local = null;
            this.localBuffer = null;
            this.optimizer = null;
        }
    }

    private static HostBuffer wrap(INDArray flat) {
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
        local.zero();
    }

    @Override
    public double forwardBackward(TokenBatch batch, double lossScale, GradientSink sink) {
        requireTraining();
        // Partitioned gradients (buckets handed to the sink during backward) are not built yet: every micro-batch
        // adds into the full local buffer and flushGradients hands it over, zero_stage 1's schedule.
        return model.forwardBackward(batch, lossScale, local);
    }

    @Override
    public void flushGradients(GradientSink sink) {
        requireTraining();
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
            local.flat().close();
        }
        store.params().close();
    }
}
