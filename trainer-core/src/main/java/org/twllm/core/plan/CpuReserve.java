package org.twllm.core.plan;

/**
 * What a CPU training process holds besides its tensors: the JVM with its heap, ND4J's and OpenBLAS's
 * libraries and thread buffers, the tokenizer and the memory-mapped data, and with more than one rank the
 * Aeron term buffers it maps. Measured, not derived: see {@link #MEASURED} and docs/performance.md.
 *
 * @param baseBytes          one process training alone
 * @param communicationBytes added by each rank of a multi-rank job
 */
public record CpuReserve(long baseBytes, long communicationBytes) {
    /** Measured on the development VM (docs/performance.md, "twllm plan against measured RSS"). */
    public static final CpuReserve MEASURED = new CpuReserve(520L << 20, 0);

    public long bytes(int worldSize) {
        return baseBytes + (worldSize > 1 ? communicationBytes : 0);
    }
}
