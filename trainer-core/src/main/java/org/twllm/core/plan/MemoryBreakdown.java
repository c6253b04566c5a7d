package org.twllm.core.plan;

/**
 * Peak bytes of one rank (one GPU, or one process on a CPU), by what holds them.
 *
 * @param weights     the compute copy of every parameter
 * @param master      the fp32 master weights of this rank's partition (bf16 runs)
 * @param optimizer   the two AdamW moments of this rank's partition
 * @param gradients   the fp32 gradients this rank keeps: its partition, or a full-size buffer
 * @param buckets     the reusable gradient bucket buffers
 * @param activations what forward keeps for backward, and one layer's backward at a time
 * @param workspace   bounded scratch: the LM-head chunk, attention tiles, library workspaces
 * @param reserve     what is there before any tensor: CUDA context, or on a CPU the JVM, its heap and libraries
 */
public record MemoryBreakdown(long weights, long master, long optimizer, long gradients, long buckets, long activations,
                              long workspace, long reserve) {

    public long total() {
        return weights + master + optimizer + gradients + buckets + activations + workspace + reserve;
    }
}
