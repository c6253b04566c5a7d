package org.twllm.core.engine;

import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.util.stream.IntStream;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.ShortPointer;

/**
 * Off-heap host memory of fp32 or bf16 elements with long indexing: what an engine hands to data parallelism
 * (gradient buckets, its gradient partition, the weights to all-gather) and what collectives read and write by
 * {@link #address()}. Either allocated here (zeroed; {@link #close()} frees it) or a view of memory someone
 * else owns and frees ({@link #wrap}, {@link #slice}; close() does nothing). Elements are reached through
 * direct NIO views of at most {@link #CHUNK} elements, so buffers beyond 2^31 elements work and loops over a
 * view run at memory speed.
 */
public final class HostBuffer implements AutoCloseable {
    /** Elements per chunk of the chunked passes: large enough to amortise a view, small enough to spread over cores. */
    public static final int CHUNK = 1 << 18;

    /** The element types. */
    public enum Element {
        F32(Float.BYTES), BF16(Short.BYTES);

        private final int bytes;

        Element(int bytes) {
            this.bytes = bytes;
        }

        public int bytes() {
            return bytes;
        }
    }

    private final Pointer base;
    private final long first;
    private final long elements;
    private final Element element;
    private final boolean owned;
    private boolean closed;

    private HostBuffer(Pointer base, long first, long elements, Element element, boolean owned) {
        this.base = base;
        this.first = first;
        this.elements = elements;
        this.element = element;
        this.owned = owned;
    }

    /** {@code elements} zeroed elements of native memory, freed by {@link #close()}. */
    public static HostBuffer allocate(long elements, Element element) {
        if (elements < 0) {
            throw new IllegalArgumentException("a buffer of " + elements + " elements");
        }
        if (elements == 0) {
            return new HostBuffer(null, 0, 0, element, false);
        }
        Pointer memory = Pointer.calloc(elements, element.bytes());
        if (memory == null || memory.isNull()) {
            throw new OutOfMemoryError("could not allocate " + elements * element.bytes() + " bytes of host memory");
        }
        return new HostBuffer(memory, 0, elements, element, true);
    }

    /** A view of {@code elements} elements at {@code memory}'s address, which its owner frees. */
    public static HostBuffer wrap(Pointer memory, long elements, Element element) {
        return new HostBuffer(memory, 0, elements, element, false);
    }

    /** Elements {@code [from, from + count)} of this buffer as a buffer of their own (a view; close() does nothing). */
    public HostBuffer slice(long from, long count) {
        check(from, count);
        return new HostBuffer(base, first + from, count, element, false);
    }

    /** The native address of element 0 (0 for an empty buffer). */
    public long address() {
        return base == null ? 0 : base.address() + first * element.bytes();
    }

    public long elements() {
        return elements;
    }

    public long bytes() {
        return elements * element.bytes();
    }

    public Element element() {
        return element;
    }

    /** A direct view of fp32 elements {@code [from, from + count)}. */
    public FloatBuffer floats(long from, int count) {
        require(Element.F32);
        check(from, count);
        FloatPointer p = new FloatPointer(base);
        p.position(first + from).limit(first + from + count);
        return p.asBuffer();
    }

    /** A direct view of bf16 elements {@code [from, from + count)}, as raw 16-bit patterns. */
    public ShortBuffer shorts(long from, int count) {
        require(Element.BF16);
        check(from, count);
        ShortPointer p = new ShortPointer(base);
        p.position(first + from).limit(first + from + count);
        return p.asBuffer();
    }

    /** Sets every element to zero. */
    public void zero() {
        if (elements > 0) {
            Pointer.memset(new Pointer(base).position(first * element.bytes()), 0, bytes());
        }
    }

    /** Number of chunks covering {@code length} elements. */
    public static int chunks(long length) {
        return (int) ((length + CHUNK - 1) / CHUNK);
    }

    /**
     * Sum of squares of fp32 elements {@code [from, to)} in double: per-chunk sums (in parallel) added in chunk
     * order, so the result does not depend on the machine. A NaN or infinity anywhere makes it non-finite.
     */
    public double sumOfSquares(long from, long to) {
        int n = chunks(to - from);
        double[] partial = new double[n];
        IntStream.range(0, n).parallel().forEach(c -> {
            long s = from + (long) c * CHUNK;
            int len = (int) Math.min(CHUNK, to - s);
            FloatBuffer g = floats(s, len);
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

    /** {@code this[at, at + count) += src[from, from + count)}, fp32, element by element (in parallel chunks). */
    public void add(long at, HostBuffer src, long from, long count) {
        IntStream.range(0, chunks(count)).parallel().forEach(c -> {
            long o = (long) c * CHUNK;
            int len = (int) Math.min(CHUNK, count - o);
            FloatBuffer d = floats(at + o, len);
            FloatBuffer s = src.floats(from + o, len);
            for (int i = 0; i < len; i++) {
                d.put(i, d.get(i) + s.get(i));
            }
        });
    }

    private void require(Element wanted) {
        if (element != wanted) {
            throw new IllegalStateException("a buffer of " + element + " elements read as " + wanted);
        }
    }

    private void check(long from, long count) {
        if (from < 0 || count < 0 || from + count > elements) {
            throw new IndexOutOfBoundsException("range [" + from + ", " + (from + count) + ") outside a buffer of " + elements);
        }
    }

    /** Frees the memory if this buffer allocated it; a view leaves it alone. */
    @Override
    public void close() {
        if (owned && !closed) {
            closed = true;
            Pointer.free(base);
        }
    }
}
