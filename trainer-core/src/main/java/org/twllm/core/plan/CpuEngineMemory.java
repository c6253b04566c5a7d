package org.twllm.core.plan;

import org.twllm.core.engine.LlamaConfig;

/**
 * The CPU engine's memory (ND4J, {@code org.twllm.core.engine.cpu}): the fp32 gradient partition the reduced sums are
 * added into, with zero_stage 2 (and 0, one rank only) {@link #BUCKET_BUFFERS} reused bucket buffers backward writes
 * into ({@code BucketedGradients}), with zero_stage 1 a full-size fp32 buffer handed to the reduce-scatter after the
 * last micro-batch, and ND4J workspaces whose sizes are the sums of what
 * one cycle allocates in them, over-allocated by 5% ({@code Workspaces}). Each workspace below is written from
 * the model's code, allocation by allocation, in fp32 elements; {@code CpuWorkspaceSizesTest} trains small models
 * and checks that these are exactly the bytes ND4J's workspaces learn.
 *
 * <p>Per token, a layer's forward allocates what it keeps for backward ({@link SavedActivations}) and its
 * temporaries; without checkpointing all of it stays in the step workspace until the call ends, with
 * checkpointing only the block's input does, and a block's forward runs again, in the block workspace, before
 * its backward.
 */
public final class CpuEngineMemory {
    /** ND4J's workspace over-allocation ({@code Workspaces}: OVERALLOCATE, limit 0.05). */
    static final double OVERALLOCATION = 1.05;
    /** Elements of one loss chunk ({@code CrossEntropy}): 16M logits. */
    static final long LOSS_CHUNK_ELEMENTS = 1L << 24;
    /** Java heap training needs besides the batch's arrays: the tiny config trains, its data prepared, with -Xmx24m (measured). */
    static final long HEAP_FLOOR = 24L << 20;

    private CpuEngineMemory() {
    }

    /** Bucket buffers of partitioned gradients ({@code EngineSettings.BUCKET_BUFFERS}; a test checks the two agree). */
    public static final int BUCKET_BUFFERS = 2;

    /** Whether the engine writes gradients into reused buckets (every zero_stage but 1, as {@code TrainingRun} sets it). */
    static boolean partitioned(TrainingSetup s) {
        return s.zeroStage() != 1;
    }

    /**
     * The owned partition's fp32 gradient, with zero_stage 1 the whole fp32 gradient ({@code FullGradients}), and one
     * [vocab, hidden] buffer in which backward builds the LM head's and the embedding's gradients whole before
     * writing them ({@code LlamaModel}; with tied embeddings the two add up in it).
     */
    static long gradients(TrainingSetup s) {
        LlamaConfig c = s.shape();
        long owned = s.zeroStage() == 0 ? c.numParameters() : s.ownedParameters();
        long local = partitioned(s) ? 0 : c.numParameters();
        return (local + owned + (long) c.vocabSize() * c.hiddenSize()) * Float.BYTES;
    }

    /** Partitioned gradients' bucket buffers: K buckets of {@code bucket_size_mb}, no larger than the model. */
    static long buckets(TrainingSetup s) {
        if (!partitioned(s)) {
            return 0;
        }
        return BUCKET_BUFFERS * Math.min(s.bucketBytes() / Float.BYTES, s.shape().numParameters()) * Float.BYTES;
    }

    /** The workspaces that hold activations: the step's, one block's backward, one block's forward, a forward-only pass's. */
    static long activations(TrainingSetup s) {
        return workspace(stepBytes(s)) + workspace(blockBytes(s)) + workspace(blockForwardBytes(s)) + workspace(forwardBytes(s));
    }

    /** The bounded ones: a loss chunk, one query tile's softmax denominators, one attention run's scores. */
    static long scratch(TrainingSetup s) {
        // the tile workspace grows to its largest cycle on the fly, without over-allocating
        return workspace(chunkBytes(s)) + workspace(attentionRowBytes(s)) + attentionTileBytes(s);
    }

    private static long workspace(long cycleBytes) {
        return (long) (cycleBytes * OVERALLOCATION);
    }

    /**
     * A layer's forward per token: what it keeps ({@link SavedActivations}) and its temporaries, which the
     * workspace keeps as long: q, k and v before the head transpose, attention's output before the head merge,
     * the sigmoid that becomes {@code silu(gate) * up} ({@code 2h + 2kv + I}). Rotary and the residual adds work in place, the norms in one
     * pass.
     */
    static long layerForwardElementsPerToken(LlamaConfig c) {
        return SavedActivations.elementsPerToken(c) + 2L * c.hiddenSize() + 2L * c.kvDim() + c.intermediateSize();
    }

    /**
     * One forward+backward's allocations in the step workspace, live until the call ends: every layer's forward
     * (with checkpointing only its input), the last block's output, the final norm's output, 1/rms and input gradient,
     * the hidden-state gradient ({@code 4h + 1} per token, plus its weight gradient's h), the attention masks and the
     * rotary tables.
     */
    public static long stepBytes(TrainingSetup s) {
        LlamaConfig c = s.shape();
        long n = s.microBatchTokens();
        long perLayer = s.checkpointing() ? c.hiddenSize() : layerForwardElementsPerToken(c);
        return (c.numLayers() * n * perLayer + n * (4L * c.hiddenSize() + 1) + c.hiddenSize() + maskElements(s)) * Float.BYTES
                + rotaryBytes(s);
    }

    /**
     * One block's backward, in the block workspace (reset after each block), with checkpointing after the block's
     * recomputed forward: per token the MLP's {@code 4I + h} (the sigmoid, the product, its gradient, dUp; dx), attention's {@code 6h + 4kv + 2H} (the merged-head and per-head row sums, the tile gradients, the head
     * layouts, dx), plus each norm's weight gradient of h (the norms add their dx into the residual gradient).
     */
    public static long blockBytes(TrainingSetup s) {
        LlamaConfig c = s.shape();
        long n = s.microBatchTokens();
        long backward = n * (7L * c.hiddenSize() + 4L * c.kvDim() + 4L * c.intermediateSize() + 2L * c.numHeads())
                + 2L * c.hiddenSize();
        return (backward + (s.checkpointing() ? n * layerForwardElementsPerToken(c) : 0)) * Float.BYTES;
    }

    /** A block's forward whose activations are not kept: checkpointed training, and validation's forward passes. */
    public static long blockForwardBytes(TrainingSetup s) {
        return s.checkpointing() || s.validation() ? s.microBatchTokens() * layerForwardElementsPerToken(s.shape()) * Float.BYTES : 0;
    }

    /**
     * Validation's forward-only pass: each block's output, the embedding, the final norm's output and 1/rms, the
     * masks and the rotary tables; none without validation.
     */
    public static long forwardBytes(TrainingSetup s) {
        if (!s.validation()) {
            return 0;
        }
        LlamaConfig c = s.shape();
        long n = s.microBatchTokens();
        return (n * ((c.numLayers() + 2L) * c.hiddenSize() + 1) + maskElements(s)) * Float.BYTES + rotaryBytes(s);
    }

    /**
     * One chunk of logits: the logits, turned into their softmax in place (without the Vector API, ND4J's softmax
     * path adds each row's argmax, 8 bytes a row, not counted); with packed rows (SFT: ignored prompt positions are
     * left out) also the gathered hidden rows and their gradient. An upper bound there: a chunk holds only trained
     * positions, fewer than a micro-batch's tokens when all fit in one.
     */
    public static long chunkBytes(TrainingSetup s) {
        long rows = Math.max(1, Math.min(s.microBatchTokens(), LOSS_CHUNK_ELEMENTS / s.shape().vocabSize()));
        long gathered = s.packedRows() ? 2 * rows * s.shape().hiddenSize() * Float.BYTES : 0;
        return rows * s.shape().vocabSize() * Float.BYTES + gathered;
    }

    /** One query tile's softmax denominators: one per query row and head of the plan's slab. */
    public static long attentionRowBytes(TrainingSetup s) {
        return slabHeads(s) * tile(s) * s.shape().groupSize() * Float.BYTES;
    }

    /**
     * One run's scores and, in backward, their gradient: two {@code [heads, queries x G, keys]} arrays for the query
     * tile whose widest run is the largest (a run spans the keys a tile sees up to {@link #attentionRunKeys}).
     */
    public static long attentionTileBytes(TrainingSetup s) {
        long tile = tile(s);
        long runKeys = attentionRunKeys((int) tile, slabHeads(s), s.shape().groupSize());
        long largest = 0;
        for (long start = 0; start < s.seqLen(); start += tile) {
            long end = Math.min(s.seqLen(), start + tile);
            largest = Math.max(largest, (end - start) * Math.min(runKeys, end));
        }
        return 2 * slabHeads(s) * s.shape().groupSize() * largest * Float.BYTES;
    }

    /**
     * The most keys one attention run spans: whole tiles, as many as keep the run's scores over the plan's heads
     * within 4M ({@code AttentionTiling.maxRunKeys} and {@code RUN_SCORES}; a test checks the two agree).
     */
    public static long attentionRunKeys(int tile, long heads, int group) {
        long tiles = Math.max(1, (1L << 22) / (heads * tile * group * tile));
        return Math.min(tiles, Integer.MAX_VALUE / tile) * tile;
    }

    /**
     * The Java heap a training process needs at least: {@link #HEAP_FLOOR} and the arrays each batch builds on the
     * heap before they go native (the rotary angles' cos and sin in double, the attention masks).
     */
    public static long heapBytes(TrainingSetup s) {
        return HEAP_FLOOR + maskElements(s) * Float.BYTES + 2 * s.microBatchTokens() * (s.shape().headDim() / 2) * Double.BYTES;
    }

    /** The rotary cos and sin tables: in double, then cast to float. */
    private static long rotaryBytes(TrainingSetup s) {
        return 2 * s.microBatchTokens() * (s.shape().headDim() / 2) * (Double.BYTES + Float.BYTES);
    }

    /**
     * The additive masks of the diagonal tiles, each stored once: a full tile's and the last, shorter tile's; one
     * set shared by every row in cPT, one per row when rows are packed (where example boundaries off the diagonal add
     * a few more, not counted).
     */
    private static long maskElements(TrainingSetup s) {
        long tile = attentionTile(s.seqLen());
        long full = s.seqLen() >= tile ? tile * tile : 0;
        long last = s.seqLen() % tile;
        return (s.packedRows() ? s.microBatch() : Math.min(1, s.microBatch())) * (full + last * last);
    }

    /** Heads one attention plan multiplies at once: every row's key/value heads in cPT, one row's when packed. */
    private static long slabHeads(TrainingSetup s) {
        return (s.packedRows() ? 1L : s.microBatch()) * s.shape().numKvHeads();
    }

    private static long tile(TrainingSetup s) {
        return Math.min(attentionTile(s.seqLen()), s.seqLen());
    }

    /**
     * Positions per attention tile at sequence length {@code seqLen}: the smallest of 128, 256 and 512 that cuts it
     * into at most 8 tiles ({@code AttentionTiling.tileSize}; a test checks the two agree).
     */
    public static int attentionTile(int seqLen) {
        for (int tile = 128; tile < 512; tile *= 2) {
            if ((seqLen + tile - 1) / tile <= 8) {
                return tile;
            }
        }
        return 512;
    }
}
