package org.twllm.core.engine;

/**
 * One rank's Llama-2 model on one device: the only owner of parameter, gradient and master storage, of the
 * layers' forward and backward, and of the optimizer kernel. Everything else (the training loop, data
 * parallelism, checkpoints, model files, evaluation, generation, the CLI) speaks to the model through this
 * interface and the plain types of this package, so it runs on any engine: the CPU engine (ND4J, the
 * reference) or the CUDA engine.
 *
 * <p>What an engine holds per rank (docs/architecture.md has the table): compute weights of the whole flat
 * layout ({@link ParameterLayout}) in its {@link Precision}; for the owned partition {@code [ownedStart,
 * ownedEnd)} the fp32 master weights (bf16 only; in fp32 the compute weights' owned range is the master),
 * AdamW's two moments and the fp32 gradient partition; gradient bucket buffers; a micro-batch's activations.
 *
 * <p>One optimizer step: {@link #zeroGradients()}, then {@link #forwardBackward} per micro-batch (finished
 * buckets go to the sink during backward with partitioned gradients), {@link #flushGradients} (zero_stage 1:
 * the full local buffer's buckets), the sink's {@code awaitAll()}, {@link #gradientSumOfSquares()},
 * {@link #optimizerStep}, {@link #gatherWeights}. Not thread-safe: one thread drives an engine.
 */
public interface Engine extends AutoCloseable {
    LlamaConfig config();

    ParameterLayout layout();

    EngineSettings settings();

    /** {@code count} compute weights from flat element {@code offset}, as floats. */
    void readWeights(long offset, float[] dst, int count);

    /**
     * Sets weights from full-precision values (a model file, a random init): the compute weights get them
     * rounded to the precision, the owned part of the master weights gets them exactly.
     */
    void writeWeights(long offset, float[] src, int count);

    /** Forward only: the cross-entropy summed over positions whose target is not {@link TokenBatch#IGNORE}. */
    double loss(TokenBatch batch);

    /** log p(target | earlier tokens) per position ({@code [b * T + t]}), NaN where the target is ignored. */
    float[] targetLogProbs(TokenBatch batch);

    /** Incremental decoding over these weights (with KV caches). */
    Decoder decoder();

    /** Zeroes the gradient partition (and zero_stage 1's local buffer): the start of an optimizer step. */
    void zeroGradients();

    /**
     * Forward, the cross-entropy summed over trained positions, and the backward of {@code lossScale} times that
     * sum. With partitioned gradients every finished bucket goes to {@code sink} during backward; otherwise the
     * gradients add into the local buffer.
     *
     * @return the summed (unscaled) loss
     */
    double forwardBackward(TokenBatch batch, double lossScale, GradientSink sink);

    /** After the step's last micro-batch: zero_stage 1 hands the local buffer's buckets to {@code sink}; else nothing. */
    void flushGradients(GradientSink sink);

    /** The fp32 gradients of the owned partition (element i is flat element {@code ownedStart + i}); sinks add into it. */
    HostBuffer gradientPartition();

    /** Sum of squares of the gradient partition in double (this rank's share of the squared global norm). */
    double gradientSumOfSquares();

    /**
     * AdamW over the owned partition with the gradients times {@code clipFactor}, then the updated partition
     * rounded into the compute weights (round-to-nearest-even for bf16).
     */
    void optimizerStep(double lr, double clipFactor);

    /** Makes every rank's compute weights equal after {@link #optimizerStep}: the owned ranges travel through {@code gather}. */
    void gatherWeights(WeightGather gather);

    /** AdamW updates applied so far (the {@code t} of bias correction). */
    long optimizerUpdates();

    /** Continues the update count of a resumed run. */
    void setOptimizerUpdates(long updates);

    /** {@code count} values of owned-partition state from partition offset {@code offset} (0 = {@code ownedStart}). */
    void readOwned(OwnedTensor tensor, long offset, float[] dst, int count);

    /** Sets owned-partition state (a resumed run); {@link OwnedTensor#MASTER} also sets the compute weights from it. */
    void writeOwned(OwnedTensor tensor, long offset, float[] src, int count);

    /** Frees the engine's memory. */
    @Override
    void close();
}
