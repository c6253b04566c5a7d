package org.twllm.core.engine.cpu;

import java.nio.FloatBuffer;
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
 * (element-wise, so the result does not depend on the split); the CUDA engine's adamw kernel computes the same.
 */
final class CpuAdamW {
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
        final double b1 = settings.beta1();
        final double b2 = settings.beta2();
        final double stepSize = lr / (1 - Math.pow(b1, updates));
        final double bc2Sqrt = Math.sqrt(1 - Math.pow(b2, updates));
        final double eps = settings.epsilon();
        final double decayFactor = 1 - lr * settings.weightDecay();
        long length = end - start;
        IntStream.range(0, HostBuffer.chunks(length)).parallel().forEach(c -> {
            long o = (long) c * HostBuffer.CHUNK;
            int len = (int) Math.min(HostBuffer.CHUNK, length - o);
            FloatBuffer p = master.floats(o, len);
            FloatBuffer g = grads.floats(o, len);
            FloatBuffer m = expAvg.floats(o, len);
            FloatBuffer v = expAvgSq.floats(o, len);
            long s = start + o;
            decayMask.forEachSegment(s, s + len, (segStart, segEnd, decays) -> {
                double decay = decays ? decayFactor : 1.0;
                for (int i = (int) (segStart - s), n = (int) (segEnd - s); i < n; i++) {
                    double grad = g.get(i) * gradScale;
                    // Moments are stored in fp32 and the update uses the stored values, as PyTorch does.
                    float mi = (float) (b1 * m.get(i) + (1 - b1) * grad);
                    float vi = (float) (b2 * v.get(i) + (1 - b2) * grad * grad);
                    m.put(i, mi);
                    v.put(i, vi);
                    double denom = Math.sqrt(vi) / bc2Sqrt + eps;
                    p.put(i, (float) (p.get(i) * decay - stepSize * mi / denom));
                }
            });
            updated.chunk(o, len);
        });
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
