package org.twllm.core.engine;

/** Copies {@code count} floats of {@code src} into some flat array from element {@code offset}. */
@FunctionalInterface
public interface FloatRangeWriter {
    void write(long offset, float[] src, int count);
}
