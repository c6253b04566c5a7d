package org.twllm.core.plan;

import org.twllm.core.config.Stage;
import org.twllm.core.config.StageConfig;
import org.twllm.core.config.TrainingConfig.Precision;
import org.twllm.core.engine.LlamaConfig;

/**
 * What the memory and step-time models need from a stage config: the model shape, the batch geometry on each
 * rank, precision, checkpointing and the data-parallel layout. Nothing here reads weights, a tokenizer or data.
 *
 * @param microBatch   samples per micro-batch on one rank ({@code per_device_train_batch_size})
 * @param accumulation micro-batches per optimizer step on one rank
 * @param packedRows   rows may hold several examples (SFT stages): the attention mask is per row
 * @param validation   a held-out loss is measured during training (forward-only passes)
 * @param bucketBytes  {@code distributed.bucket_size_mb} in bytes
 * @param termBytes    {@code distributed.transport.term_length_mb} in bytes: Aeron's term buffers
 */
public record TrainingSetup(LlamaConfig shape, int microBatch, int seqLen, int accumulation, Precision precision,
                            boolean checkpointing, int zeroStage, int worldSize, boolean packedRows, boolean validation,
                            long bucketBytes, long termBytes) {

    public TrainingSetup {
        if (microBatch < 0 || seqLen < 1 || accumulation < 1 || worldSize < 1 || bucketBytes < 1 || termBytes < 1) {
            throw new IllegalArgumentException("bad training setup: micro-batch " + microBatch + ", seq_len " + seqLen
                    + ", accumulation " + accumulation + ", world " + worldSize + ", bucket " + bucketBytes);
        }
    }

    /** The config's setup: its world size, micro-batch and accumulation as its batch rules resolved them. */
    public static TrainingSetup of(StageConfig config, LlamaConfig shape) {
        return new TrainingSetup(shape, config.training().perDeviceTrainBatchSize(), config.data().seqLen(),
                config.training().gradientAccumulationSteps(), config.training().precision(),
                config.training().gradientCheckpointing(), config.distributed().zeroStage(), config.distributed().worldSize(),
                config.stage() != Stage.CPT,
                config.training().evalSteps() > 0 && !config.data().validationSources().isEmpty(),
                (long) config.distributed().bucketSizeMb() << 20,
                (long) config.distributed().transport().termLengthMb() << 20);
    }

    public TrainingSetup withMicroBatch(int samples) {
        return new TrainingSetup(shape, samples, seqLen, accumulation, precision, checkpointing, zeroStage, worldSize,
                packedRows, validation, bucketBytes, termBytes);
    }

    public TrainingSetup withCheckpointing(boolean on) {
        return new TrainingSetup(shape, microBatch, seqLen, accumulation, precision, on, zeroStage, worldSize,
                packedRows, validation, bucketBytes, termBytes);
    }

    /** Tokens of one micro-batch on one rank. */
    public long microBatchTokens() {
        return (long) microBatch * seqLen;
    }

    /** Samples per optimizer step over all ranks. */
    public long globalBatch() {
        return (long) microBatch * accumulation * worldSize;
    }

    /**
     * The largest share of the flat buffers one rank owns: {@code ceil(P / world)} rounded up to 16 floats (a
     * cache line), as {@code RingPartition.split} assigns them (a test checks the two agree).
     */
    public long ownedParameters() {
        long p = shape.numParameters();
        long share = (p + worldSize - 1) / worldSize;
        return Math.min(p, (share + 15) / 16 * 16);
    }
}
