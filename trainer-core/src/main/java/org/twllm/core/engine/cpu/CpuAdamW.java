package org.twllm.core.engine.cpu;

import java.util.stream.IntStream;

import org.twllm.core.engine.AdamWSettings;
import org.twllm.core.engine.DecayMask;
import org.twllm.core.engine.HostBuffer;

/**
 * AdamW (Loshchilov and Hutter; PyTorch's {@code torch.optim.AdamW}) over the owned partition
 * {@code [start, end)} of the flat layout: fp32 master weights, gradients and moments of the partition's length
 * (element i is flat element {@code start + i}). Per element, for update number {@code t}:
 * <pre>
 *   p  -= lr * weightDecay * p                 (decoupled; only where the mask says the tensor decays)
 *   m   = beta1 * m + (1 - beta1) * g
 *   v   = beta2 * v + (1 - beta2) * g^2
 *   p  -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
 * </pre>
 * where {@code g} is the gradient times the clip factor. One fused pass over the partition, in parallel chunks
 * (element-wise, so the result does not depend on the split), each chunk copied to per-thread heap arrays and
 * back; the CUDA engine's adamw kernel computes the same, operation for operation.
 */
final class CpuAdamW {
    private static final ThreadLocal<ChunkScratch> SCRATCH = ThreadLocal.withInitial(ChunkScratch::new);

    private final AdamWSettings settings;
    private final long start;
    private final long end;
    private final DecayMask decayMask;
    private final HostBuffer expAvg;
    private final HostBuffer expAvgSq;
    private long updates;

    /** Fresh (zero) moments for {@code [start, end)}. */
    CpuAdamW(AdamWSettings settings, long start, long end, DecayMask decayMask) {
        if (start < 0 || end < start) {
            throw new IllegalArgumentException("bad range [" + start + ", " + end + ")");
        }
        this.settings = settings;
        this.start = start;
        this.end = end;
        this.decayMask = decayMask;
        this.expAvg = HostBuffer.allocate(end - start, HostBuffer.Element.F32);
        this.expAvgSq = HostBuffer.allocate(end - start, HostBuffer.Element.F32);
    }

    /**
     * One update of {@code master} from {@code grads} scaled by {@code gradScale} (the clip factor; 1 for none);
     * each updated chunk of the partition is then passed to {@code updated} (partition offset, length).
     */
    void step(HostBuffer master, HostBuffer grads, double lr, double gradScale, UpdatedChunk updated) {
        updates++;
        Coefficients k = new Coefficients(settings.beta1(), settings.beta2(), lr / (1 - Math.pow(settings.beta1(), updates)),
                Math.sqrt(1 - Math.pow(settings.beta2(), updates)), settings.epsilon(), gradScale);
        final double decayFactor = 1 - lr * settings.weightDecay();
        long length = end - start;
        IntStream.range(0, HostBuffer.chunks(length)).parallel().forEach(c -> {
            long o = (long) c * HostBuffer.CHUNK;
            int len = (int) Math.min(HostBuffer.CHUNK, length - o);
            // The loop runs over heap copies of the chunk: direct-buffer get/put per element is several times slower.
            ChunkScratch chunk = SCRATCH.get();
            float[] p = chunk.read(0, master, o, len);
            float[] g = chunk.read(1, grads, o, len);
            float[] m = chunk.read(2, expAvg, o, len);
            float[] v = chunk.read(3, expAvgSq, o, len);
            long s = start + o;
            decayMask.forEachSegment(s, s + len, (segStart, segEnd, decays) ->
                    update(k, decays ? decayFactor : 1.0, p, g, m, v, (int) (segStart - s), (int) (segEnd - s)));
            master.floats(o, len).put(p, 0, len);
            expAvg.floats(o, len).put(m, 0, len);
            expAvgSq.floats(o, len).put(v, 0, len);
            updated.chunk(o, len);
        });
    }

    /** The scalars of one update: betas, bias-corrected step size and second-moment root, epsilon, clip factor. */
    record Coefficients(double beta1, double beta2, double stepSize, double bc2Sqrt, double eps, double gradScale) {
    }

    /**
     * Elements {@code [from, to)} of one chunk, in place: eight at a time with the Vector API where the JVM has it
     * (the same bits), the rest here. A static method over plain arrays, not a lambda body: C2 compiles this loop
     * several times faster than the same loop over a lambda's captured locals.
     */
    static void update(Coefficients k, double decay, float[] p, float[] g, float[] m, float[] v, int from, int to) {
        int first = VectorSupport.ENABLED ? VectorAdamW.update(k, decay, p, g, m, v, from, to) : from;
        scalarUpdate(k, decay, p, g, m, v, first, to);
    }

    /** The update of elements {@code [from, to)} one at a time. */
    static void scalarUpdate(Coefficients k, double decay, float[] p, float[] g, float[] m, float[] v, int from, int to) {
        final double b1 = k.beta1();
        final double b2 = k.beta2();
        final double stepSize = k.stepSize();
        final double bc2Sqrt = k.bc2Sqrt();
        final double eps = k.eps();
        final double gradScale = k.gradScale();
        for (int i = from; i < to; i++) {
            double grad = g[i] * gradScale;
            // Moments are stored in fp32 and the update uses the stored values, as PyTorch does.
            float mi = (float) (b1 * m[i] + (1 - b1) * grad);
            float vi = (float) (b2 * v[i] + (1 - b2) * grad * grad);
            m[i] = mi;
            v[i] = vi;
            double denom = Math.sqrt(vi) / bc2Sqrt + eps;
            p[i] = (float) (p[i] * decay - stepSize * mi / denom);
        }
    }

    /** Per-thread heap copies of one chunk of the four arrays the update reads. */
    private static final class ChunkScratch {
        private final float[][] arrays = new float[4][HostBuffer.CHUNK];

        /** Elements {@code [offset, offset + len)} of {@code buffer} copied into scratch array {@code slot}. */
        float[] read(int slot, HostBuffer buffer, long offset, int len) {
            buffer.floats(offset, len).get(arrays[slot], 0, len);
            return arrays[slot];
        }
    }

    /** Told which part of the partition an update has finished (from the thread that updated it). */
    @FunctionalInterface
    interface UpdatedChunk {
        UpdatedChunk NONE = (offset, length) -> { };

        void chunk(long offset, int length);
    }

    /** First moments of the partition (live). */
    HostBuffer expAvg() {
        return expAvg;
    }

    /** Second moments of the partition (live). */
    HostBuffer expAvgSq() {
        return expAvgSq;
    }

    /** Number of updates applied so far (the {@code t} of bias correction; skipped steps do not count). */
    long updates() {
        return updates;
    }

    void setUpdates(long updates) {
        this.updates = updates;
    }

    void close() {
        expAvg.close();
        expAvgSq.close();
    }
}
