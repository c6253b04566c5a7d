package org.twllm.core.engine;

/**
 * How an engine is set up for one process.
 *
 * @param precision             what the compute weights and saved activations are stored as
 * @param ownedStart            first element of the flat layout whose master weights, AdamW moments and gradient
 *                              partition this rank owns (ZeRO partition)
 * @param ownedEnd              one past the last owned element ({@code ownedStart == ownedEnd}: owns nothing)
 * @param partitionedGradients  ZeRO-2 as DeepSpeed does it: backward writes gradients into {@link #BUCKET_BUFFERS}
 *                              reused bucket buffers, each handed to the sink as soon as it is final, every
 *                              micro-batch; false (zero_stage 1): one full-size local buffer accumulates the step's
 *                              micro-batches and is handed over bucket by bucket after the last one
 * @param bucketElements        floats per gradient bucket ({@code distributed.bucket_size_mb})
 * @param adamW                 the optimizer, or null for an engine that only runs forward (scoring, generation)
 * @param gradientCheckpointing activation checkpointing: blocks keep only their input and recompute their forward
 * @param maxMicroBatch         most rows of one micro-batch (engines that preallocate activations size them by it)
 * @param maxSeqLen             most positions of one row
 */
public record EngineSettings(Precision precision, long ownedStart, long ownedEnd, boolean partitionedGradients,
                             long bucketElements, AdamWSettings adamW, boolean gradientCheckpointing, int maxMicroBatch,
                             int maxSeqLen) {
    /** Bucket buffers of partitioned gradients: one being written while the previous one is reduced. */
    public static final int BUCKET_BUFFERS = 2;

    public EngineSettings {
        if (ownedStart < 0 || ownedEnd < ownedStart || bucketElements < 1 || maxMicroBatch < 1 || maxSeqLen < 1) {
            throw new IllegalArgumentException("engine settings: owned [" + ownedStart + ", " + ownedEnd + "), buckets of "
                    + bucketElements + ", micro-batches up to " + maxMicroBatch + " x " + maxSeqLen);
        }
    }

    /** A forward-only fp32 engine for batches up to {@code maxMicroBatch x maxSeqLen} (score, eval, generate, serve). */
    public static EngineSettings inference(int maxMicroBatch, int maxSeqLen) {
        return new EngineSettings(Precision.FP32, 0, 0, false, 1, null, false, maxMicroBatch, maxSeqLen);
    }

    /** Whether the engine trains (has an optimizer and gradient storage). */
    public boolean trains() {
        return adamW != null;
    }

    public long ownedLength() {
        return ownedEnd - ownedStart;
    }

    /** Throws unless the owned range lies within {@code layout} (an engine checks this before it allocates). */
    public void requireOwnedWithin(ParameterLayout layout) {
        if (ownedEnd > layout.total()) {
            throw new IllegalArgumentException("owned range [" + ownedStart + ", " + ownedEnd
                    + ") beyond the model's " + layout.total() + " parameters");
        }
    }

    /** Throws for an engine made for forward passes only: what every training call checks first. */
    public void requireTraining() {
        if (!trains()) {
            throw new IllegalStateException("this engine was made for forward passes only (no optimizer)");
        }
    }

    /**
     * The owned part of flat elements {@code [offset, offset + count)} (where an engine also sets the master weights):
     * {@code part} gets it, or is not called when this rank owns none of them.
     */
    public void forOwnedPart(long offset, int count, OwnedPart part) {
        long from = Math.max(offset, ownedStart);
        long to = Math.min(offset + count, ownedEnd);
        if (from < to) {
            part.accept(from - ownedStart, (int) (from - offset), (int) (to - from));
        }
    }

    /** Receives the owned part of a range of flat elements. */
    @FunctionalInterface
    public interface OwnedPart {
        /**
         * @param partitionOffset where the part starts in the owned partition (0 is {@code ownedStart})
         * @param rangeOffset     where it starts in the range (0 is the range's first element)
         * @param length          its elements
         */
        void accept(long partitionOffset, int rangeOffset, int length);
    }
}
