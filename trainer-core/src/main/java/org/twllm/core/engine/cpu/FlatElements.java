package org.twllm.core.engine.cpu;

import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.Arrays;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The elements of a row-major, contiguous float or double ND4J array, read and written in place by flat index
 * through its own native buffer: what the fused passes loop over instead of chaining ND4J ops. Values travel as
 * double, so one loop serves the fp32 engine and the fp64 gradient checks.
 */
interface FlatElements {
    double get(int i);

    void set(int i, double value);

    /** A view of {@code a}'s elements; {@code a} must be row-major and contiguous (a fresh array or a row range). */
    static FlatElements of(INDArray a) {
        if (!contiguous(a) || a.length() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("fused passes need a contiguous row-major array, got shape "
                    + Arrays.toString(a.shape()) + " strides " + Arrays.toString(a.stride()));
        }
        if (a.dataType() == DataType.FLOAT) {
            return new Floats(a.data().asNioFloat().position((int) a.offset()).slice());
        }
        if (a.dataType() == DataType.DOUBLE) {
            return new Doubles(a.data().asNioDouble().position((int) a.offset()).slice());
        }
        throw new IllegalArgumentException("fused passes compute in float or double, got " + a.dataType());
    }

    /** Row-major with no gaps: every axis longer than 1 steps over the axes after it (size-1 axes' strides do not matter). */
    private static boolean contiguous(INDArray a) {
        long expected = 1;
        for (int d = a.rank() - 1; d >= 0; d--) {
            if (a.size(d) > 1 && a.stride(d) != expected) {
                return false;
            }
            expected *= a.size(d);
        }
        return true;
    }

    /** fp32 elements. */
    record Floats(FloatBuffer buffer) implements FlatElements {
        @Override
        public double get(int i) {
            return buffer.get(i);
        }

        @Override
        public void set(int i, double value) {
            buffer.put(i, (float) value);
        }
    }

    /** fp64 elements. */
    record Doubles(DoubleBuffer buffer) implements FlatElements {
        @Override
        public double get(int i) {
            return buffer.get(i);
        }

        @Override
        public void set(int i, double value) {
            buffer.put(i, value);
        }
    }
}
