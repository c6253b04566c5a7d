package org.twllm.core.engine;

/** Copies {@code count} floats starting at element {@code offset} of some flat array into {@code dst}. */
@FunctionalInterface
public interface FloatRangeReader {
    void read(long offset, float[] dst, int count);
}
