package org.twllm.core.plan;

/**
 * What a CPU training process holds besides its tensors. {@code baseBytes} is measured (docs/performance.md, "The
 * CPU reserve"): the JVM with its heap, ND4J's and OpenBLAS's libraries and thread buffers, the tokenizer and the
 * memory-mapped data. A rank of a multi-rank job also maps two Aeron logs of three terms each: its publication to
 * the next rank and the image of the previous rank's.
 *
 * @param baseBytes one process training alone, beyond its tensors
 */
public record CpuReserve(long baseBytes) {
    /** Measured on the development VM (docs/performance.md). */
    public static final CpuReserve MEASURED = new CpuReserve(364L << 20);
    /** Terms per Aeron log buffer. */
    static final int TERMS_PER_LOG = 3;

    public long bytes(TrainingSetup s) {
        return baseBytes + (s.worldSize() > 1 ? 2L * TERMS_PER_LOG * s.termBytes() : 0);
    }
}
