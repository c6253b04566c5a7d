package org.twllm.core.engine;

/**
 * One tensor inside the flat parameter buffer: its HF name, shape, and where it lies.
 * {@code decays} is false for tensors that weight decay must skip (norm weights).
 */
public record ParameterSpec(String name, long[] shape, long offset, long length, boolean decays) {
    /** One past the tensor's last element in the flat buffer. */
    public long end() {
        return offset + length;
    }
}
