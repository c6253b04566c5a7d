package org.twllm.core.plan;

import org.twllm.core.model.LlamaConfig;

/**
 * The CPU engine's memory as it is today (ND4J, {@code org.twllm.core.model}): a full-size fp32 gradient buffer on
 * every rank, reduce-scattered in place (no bucket buffers), and ND4J workspaces whose sizes are the sums of
 * what one cycle allocates in them, over-allocated by 5% ({@code Workspaces}). Each workspace below is written
 * from the model's code, allocation by allocation; {@code CpuWorkspaceSizesTest} runs the model and checks that
 * these are exactly the bytes ND4J's workspaces learn.
 *
 * <p>Today's attention materialises its {@code [B, H, T, T]} probabilities (docs/model.md): the step workspace
 * keeps them for every layer and a block's backward holds two more. The lean attention of issue 11 removes both.
 */
public final class CpuEngineMemory {
    /** ND4J's workspace over-allocation ({@code Workspaces}: OVERALLOCATE, limit 0.05). */
    static final double OVERALLOCATION = 1.05;
    /** Elements of one loss chunk ({@code CrossEntropy}): 4M logits. */
    static final long LOSS_CHUNK_ELEMENTS = 1L << 22;
    /** Java heap training needs besides the batch's arrays: the tiny config trains, its data prepared, with -Xmx24m (measured). */
    static final long HEAP_FLOOR = 24L << 20;

    private CpuEngineMemory() {
    }

    /** Today's engine keeps the whole fp32 gradient on every rank, whatever the ZeRO stage. */
    static long gradients(TrainingSetup s) {
        return s.shape().numParameters() * Float.BYTES;
    }

    /** What the step and block workspaces hold: every layer's forward and one layer's backward. */
    static long activations(TrainingSetup s) {
        return workspace(stepBytes(s)) + workspace(blockBytes(s));
    }

    /** The loss chunk's workspace. */
    static long scratch(TrainingSetup s) {
        return workspace(chunkBytes(s));
    }

    private static long workspace(long cycleBytes) {
        return (long) (cycleBytes * OVERALLOCATION);
    }

    /**
     * One forward+backward's allocations in the step workspace, which live until the call ends: per layer the
     * saved activations and the forward temporaries ({@code 14h + 6kv + 3I + 2} per token) and the attention
     * probabilities ({@code H T^2} per row); the embedding output, the final norm's forward and backward and the
     * hidden-state gradient ({@code 8h + 2} per token); the attention mask (T^2 per distinct row pattern) and
     * the rotary tables (cos and sin in double, then in float).
     */
    public static long stepBytes(TrainingSetup s) {
        LlamaConfig c = s.shape();
        long n = s.microBatchTokens();
        long h = c.hiddenSize();
        long perLayer = n * (14 * h + 6L * c.kvDim() + 3L * c.intermediateSize() + 2) + probabilities(s);
        long t2 = (long) s.seqLen() * s.seqLen();
        long maskRows = s.packedRows() ? s.microBatch() : Math.min(1, s.microBatch());
        long elements = c.numLayers() * perLayer + n * (8 * h + 2) + h + maskRows * t2;
        long rotaryBytes = 2 * n * (c.headDim() / 2) * (Double.BYTES + Float.BYTES);
        return elements * Float.BYTES + rotaryBytes;
    }

    /**
     * One block's backward in the block workspace (reset after each block): MLP ({@code 6I + h} per token),
     * two norms ({@code 4h + 1} each, plus h for the weight gradient's sum), attention ({@code 7h + 6kv} per
     * token, two probability-sized arrays and a row sum per query row, the negated sine tables twice).
     */
    public static long blockBytes(TrainingSetup s) {
        LlamaConfig c = s.shape();
        long n = s.microBatchTokens();
        long h = c.hiddenSize();
        long elements = n * (16 * h + 6L * c.kvDim() + 6L * c.intermediateSize() + 2) + 2 * probabilities(s)
                + n * c.numHeads() + 2 * h + n * c.headDim();
        return elements * Float.BYTES;
    }

    /** One chunk of logits: shifted logits and their exponentials, four per-row statistics, a double row scale. */
    public static long chunkBytes(TrainingSetup s) {
        long rows = Math.max(1, Math.min(s.microBatchTokens(), LOSS_CHUNK_ELEMENTS / s.shape().vocabSize()));
        return (2 * rows * s.shape().vocabSize() + 4 * rows) * Float.BYTES + rows * Double.BYTES;
    }

    /**
     * The Java heap a training process needs at least: {@link #HEAP_FLOOR} and the arrays each batch builds on the
     * heap before they go native (the attention mask, the rotary angles' cos and sin in double).
     */
    public static long heapBytes(TrainingSetup s) {
        long t2 = (long) s.seqLen() * s.seqLen();
        long maskRows = s.packedRows() ? s.microBatch() : Math.min(1, s.microBatch());
        return HEAP_FLOOR + maskRows * t2 * Float.BYTES + 2 * s.microBatchTokens() * (s.shape().headDim() / 2) * Double.BYTES;
    }

    /** The materialised attention probabilities of one layer: {@code B H T^2}. */
    private static long probabilities(TrainingSetup s) {
        return (long) s.microBatch() * s.shape().numHeads() * s.seqLen() * s.seqLen();
    }
}
