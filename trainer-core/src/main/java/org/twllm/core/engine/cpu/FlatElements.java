package org.twllm.core.engine.cpu;

import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.Arrays;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The elements of a row-major, contiguous float or double ND4J array, copied in bulk between its own native
 * buffer and heap arrays by flat index: what the fused passes read their rows through and write them back with
 * (they compute on {@link RowScratch}'s arrays, which C2 vectorises). Values travel as double, so one loop serves
 * the fp32 engine and the fp64 gradient checks.
 */
interface FlatElements {
    /** Copies elements {@code [from, from + count)} into {@code dst[0, count)}. */
    void read(int from, double[] dst, int count);

    /** Copies {@code src[0, count)} into elements {@code [from, from + count)}, rounded to the array's type. */
    void write(int from, double[] src, int count);

    /** A view of {@code a}'s elements; {@code a} must be row-major and contiguous (a fresh array or a row range). */
    static FlatElements of(INDArray a) {
        requireContiguous(a);
        if (a.dataType() == DataType.FLOAT) {
            return new Floats(floats(a));
        }
        if (a.dataType() == DataType.DOUBLE) {
            return new Doubles(a.data().asNioDouble().position((int) a.offset()).slice());
        }
        throw new IllegalArgumentException("fused passes compute in float or double, got " + a.dataType());
    }

    /** The native fp32 buffer of {@code a} (row-major, contiguous, fp32), for passes that compute in float. */
    static FloatBuffer floats(INDArray a) {
        requireContiguous(a);
        if (a.dataType() != DataType.FLOAT) {
            throw new IllegalArgumentException("an fp32 pass got " + a.dataType());
        }
        return a.data().asNioFloat().position((int) a.offset()).slice();
    }

    private static void requireContiguous(INDArray a) {
        if (!contiguous(a) || a.length() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("fused passes need a contiguous row-major array, got shape "
                    + Arrays.toString(a.shape()) + " strides " + Arrays.toString(a.stride()));
        }
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

    /** fp32 elements, converted through the thread's float staging array. */
    record Floats(FloatBuffer buffer) implements FlatElements {
        @Override
        public void read(int from, double[] dst, int count) {
            float[] staging = RowScratch.current().staging(count);
            buffer.get(from, staging, 0, count);
            for (int i = 0; i < count; i++) {
                dst[i] = staging[i];
            }
        }

        @Override
        public void write(int from, double[] src, int count) {
            float[] staging = RowScratch.current().staging(count);
            for (int i = 0; i < count; i++) {
                staging[i] = (float) src[i];
            }
            buffer.put(from, staging, 0, count);
        }
    }

    /** fp64 elements. */
    record Doubles(DoubleBuffer buffer) implements FlatElements {
        @Override
        public void read(int from, double[] dst, int count) {
            buffer.get(from, dst, 0, count);
        }

        @Override
        public void write(int from, double[] src, int count) {
            buffer.put(from, src, 0, count);
        }
    }
}
