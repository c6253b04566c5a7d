package org.twllm.core.model;

import java.nio.FloatBuffer;

import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Element-wise passes over a range of a flat fp32 buffer, in fixed chunks. Each chunk is a direct
 * {@link FloatBuffer} over the array's own memory (no copy), so a chunk's loop runs at memory speed and
 * buffers longer than 2^31 elements still work. Chunk boundaries depend only on the range, never on the
 * machine, so reductions summed chunk by chunk in order are reproducible.
 */
public final class FlatFloats {
    /** Elements per chunk: large enough to amortise the view, small enough to spread over cores. */
    public static final int CHUNK = 1 << 18;

    private FlatFloats() {
    }

    /** A direct view of {@code flat[start, start + length)}; {@code flat} must be a dense fp32 vector. */
    public static FloatBuffer view(INDArray flat, long start, int length) {
        if (flat.dataType() != DataType.FLOAT) {
            throw new IllegalArgumentException("flat buffers must be fp32, got " + flat.dataType());
        }
        if (start < 0 || start + length > flat.length()) {
            throw new IndexOutOfBoundsException("range [" + start + ", " + (start + length) + ") outside a buffer of " + flat.length());
        }
        long first = flat.offset() + start;
        FloatPointer pointer = new FloatPointer(flat.data().addressPointer());
        pointer.position(first).limit(first + length);
        return pointer.asBuffer();
    }

    /** Number of chunks covering {@code length} elements. */
    public static int chunks(long length) {
        return (int) ((length + CHUNK - 1) / CHUNK);
    }

    /** Sum of squares of {@code flat[start, end)} in double: per-chunk sums added in chunk order. */
    public static double sumOfSquares(INDArray flat, long start, long end) {
        int n = chunks(end - start);
        double[] partial = new double[n];
        java.util.stream.IntStream.range(0, n).parallel().forEach(c -> {
            long s = start + (long) c * CHUNK;
            int len = (int) Math.min(CHUNK, end - s);
            FloatBuffer g = view(flat, s, len);
            double sum = 0;
            for (int i = 0; i < len; i++) {
                double v = g.get(i);
                sum += v * v;
            }
            partial[c] = sum;
        });
        double total = 0;
        for (double p : partial) {
            total += p;
        }
        return total;
    }
}
