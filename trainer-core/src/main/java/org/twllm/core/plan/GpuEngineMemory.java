package org.twllm.core.plan;

import org.twllm.core.engine.LlamaConfig;

/**
 * The GPU engine's memory as the engine design fixes it (docs/performance.md, "Memory per rank"): ZeRO-2 with
 * partitioned gradients and two bucket buffers, the lean attention, checkpointing that keeps each block's input,
 * the saved state of {@link SavedActivations} with bf16 where a bf16 run keeps bf16. Nothing here is measured on a
 * GPU yet; the device check prints the peak GPU memory to compare with.
 */
final class GpuEngineMemory {
    /** Bucket buffers in flight at once (K >= 2: backward fills one while the other is reduced). */
    static final int BUCKET_BUFFERS = 2;
    /** cuBLAS's recommended workspace on Hopper. */
    static final long CUBLAS_WORKSPACE = 32L << 20;
    /** Logits of one LM-head chunk. */
    static final long LM_HEAD_CHUNK_ELEMENTS = 1L << 24;
    /** Key positions per attention tile. */
    static final int KEY_TILE = 128;
    /** CUDA context, loaded kernels and allocator slack: an estimate until the device check measures it. */
    static final long CONTEXT_RESERVE = 1L << 30;

    private GpuEngineMemory() {
    }

    /** ZeRO-2: this rank's fp32 partition; ZeRO 0 and 1: a full-size fp32 buffer. */
    static long gradients(TrainingSetup s) {
        return (s.zeroStage() == 2 ? s.ownedParameters() : s.shape().numParameters()) * Float.BYTES;
    }

    /** ZeRO-2's reusable fp32 bucket buffers on the device (their pinned host twins are host memory). */
    static long buckets(TrainingSetup s) {
        return s.zeroStage() == 2 ? BUCKET_BUFFERS * s.bucketBytes() : 0;
    }

    /**
     * Without checkpointing every layer's saved state ({@link SavedActivations}); with it one fp32 block input
     * per layer plus one layer's full saved state while it is recomputed. Either way the final norm's input,
     * its statistics and output, and the fp32 gradient of the hidden states.
     */
    static long activations(TrainingSetup s, int computeBytes) {
        LlamaConfig c = s.shape();
        long n = s.microBatchTokens();
        long layer = SavedActivations.bytesPerToken(c, computeBytes);
        long perToken = s.checkpointing()
                ? c.numLayers() * SavedActivations.checkpointedElementsPerToken(c) * Float.BYTES + layer
                : c.numLayers() * layer;
        long head = (c.hiddenSize() + 1L) * Float.BYTES + (long) c.hiddenSize() * computeBytes + (long) c.hiddenSize() * Float.BYTES;
        return n * (perToken + head);
    }

    /**
     * Scratch bounded by one layer or one tile: a layer's backward temporaries ({@code 5h + 2kv + 4I} in the
     * compute precision and {@code 3h + 2kv + H} fp32 per token), the LM-head chunk (fp32 logits and their
     * gradient), attention's score tiles ({@code [kv heads, T, key tile]}, fp32 twice and once in the compute
     * precision), its row statistics and fp32 output accumulator, and the cuBLAS workspace.
     */
    static long scratch(TrainingSetup s, int computeBytes) {
        LlamaConfig c = s.shape();
        long n = s.microBatchTokens();
        long h = c.hiddenSize();
        long kv = c.kvDim();
        long layer = n * ((5 * h + 2 * kv + 4L * c.intermediateSize()) * computeBytes + (3 * h + 2 * kv + c.numHeads()) * Float.BYTES);
        long chunk = Math.min(LM_HEAD_CHUNK_ELEMENTS, Math.max(1, n) * c.vocabSize()) * (Float.BYTES + computeBytes);
        long tile = (long) c.numKvHeads() * s.seqLen() * Math.min(KEY_TILE, s.seqLen()) * (2 * Float.BYTES + computeBytes);
        long rowStats = 2 * n * c.numHeads() * Float.BYTES + n * h * Float.BYTES;
        return layer + chunk + tile + rowStats + CUBLAS_WORKSPACE;
    }
}
