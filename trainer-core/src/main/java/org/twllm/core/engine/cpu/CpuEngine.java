package org.twllm.core.engine.cpu;

import java.nio.FloatBuffer;
import java.util.stream.IntStream;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.twllm.core.engine.Bf16;
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
 *
 * <p>In bf16 (ND4J's BF16 GEMM is slow and inexact) the compute weights are fp32 arrays holding bf16-rounded values
 * and the model rounds its stored activations ({@link ActivationRounding}), so it has the numerics of a bf16 GPU run
 * up to accumulation order. The owned partition then has its own fp32 master weights; after AdamW each updated chunk
 * is rounded (to nearest even) into the compute weights and, on several ranks, into a bf16 copy of the whole layout,
 * which is what the all-gather moves (2 bytes an element) and what the other ranks' compute weights are widened from.
 */
final class CpuEngine implements Engine {
    private static final Runnable NOTHING_TO_RELEASE = () -> { };

    private final EngineSettings settings;
    private final ParameterStore store;
    private final LlamaModel model;
    private final HostBuffer weights;
    /** bf16 training: the fp32 master weights of the owned partition; else null (the compute weights' owned range is the master). */
    private final HostBuffer master;
    /** bf16 training on several ranks: the compute weights as bf16 bit patterns, the all-gather's buffer; else null. */
    private final HostBuffer gathered;
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
        ParameterLayout layout = new ParameterLayout(config);
        settings.requireOwnedWithin(layout);
        this.settings = settings;
        this.store = new ParameterStore(config, DataType.FLOAT);
        this.model = new LlamaModel(store, ActivationRounding.of(settings.precision()));
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
        if (settings.trains() && bf16()) {
            this.master = HostBuffer.allocate(settings.ownedLength(), HostBuffer.Element.F32);
            // one rank owns everything and gathers nothing
            this.gathered = settings.ownedLength() < layout.total()
                    ? HostBuffer.allocate(layout.total(), HostBuffer.Element.BF16) : null;
        } else {
            this.master = null;
            this.gathered = null;
        }
    }

    private boolean bf16() {
        return settings.precision() == Precision.BF16;
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
        if (!bf16()) {
            store.copyIn(offset, src, count);
            return;
        }
        if (master != null) {
            settings.forOwnedPart(offset, count, (at, from, length) -> master.floats(at, length).put(src, from, length));
        }
        float[] rounded = new float[count];
        for (int i = 0; i < count; i++) {
            rounded[i] = Bf16.round(src[i]);
        }
        store.copyIn(offset, rounded, count);
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
        settings.requireTraining();
        partition.zero();
        if (local != null) {
            local.zero();
        }
    }

    @Override
    public double forwardBackward(TokenBatch batch, double lossScale, GradientSink sink) {
        settings.requireTraining();
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
        settings.requireTraining();
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
        settings.requireTraining();
        if (master == null) {
            optimizer.step(weights.slice(settings.ownedStart(), settings.ownedLength()), partition, lr, clipFactor,
                    CpuAdamW.UpdatedChunk.NONE);
            return;
        }
        long owned = settings.ownedStart();
        optimizer.step(master, partition, lr, clipFactor, (offset, length) -> {
            FloatBuffer compute = weights.floats(owned + offset, length);
            if (gathered != null) {
                Bf16.round(master.floats(offset, length), compute, gathered.shorts(owned + offset, length), length);
            } else {
                compute.put(master.floats(offset, length));
                Bf16.roundInPlace(compute, length);
            }
        });
    }

    @Override
    public void gatherWeights(WeightGather gather) {
        if (master == null) {
            gather.allGather(weights);
            return;
        }
        if (gathered == null) {
            return; // bf16 on one rank: optimizerStep already rounded every weight into the compute weights
        }
        gather.allGather(gathered);
        widen(0, settings.ownedStart());
        widen(settings.ownedEnd(), gathered.elements());
    }

    /** The gathered bf16 weights of flat elements {@code [from, to)} into the compute weights, in parallel chunks. */
    private void widen(long from, long to) {
        IntStream.range(0, HostBuffer.chunks(to - from)).parallel().forEach(c -> {
            long s = from + (long) c * HostBuffer.CHUNK;
            int n = (int) Math.min(HostBuffer.CHUNK, to - s);
            Bf16.widen(gathered.shorts(s, n), weights.floats(s, n), n);
        });
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
        switch (tensor) {
            case MASTER -> {
                if (master != null) {
                    master.floats(offset, count).get(dst, 0, count);
                } else {
                    store.copyOut(settings.ownedStart() + offset, dst, count);
                }
            }
            case EXP_AVG -> optimizer.expAvg().floats(offset, count).get(dst, 0, count);
            case EXP_AVG_SQ -> optimizer.expAvgSq().floats(offset, count).get(dst, 0, count);
            default -> throw new IllegalArgumentException(tensor.toString());
        }
    }

    @Override
    public void writeOwned(OwnedTensor tensor, long offset, float[] src, int count) {
        settings.requireTraining();
        switch (tensor) {
            case MASTER -> writeWeights(settings.ownedStart() + offset, src, count);
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

    @Override
    public void close() {
        partition.close();
        if (master != null) {
            master.close();
        }
        if (gathered != null) {
            gathered.close();
        }
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
