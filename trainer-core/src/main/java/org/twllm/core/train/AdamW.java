package org.twllm.core.train;

import java.nio.FloatBuffer;
import java.util.stream.IntStream;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.twllm.core.model.FlatFloats;

/**
 * AdamW (Loshchilov and Hutter; PyTorch's {@code torch.optim.AdamW}) over the range
 * {@code [start, end)} of the flat fp32 parameters that this rank owns, with its own fp32 moments of
 * that range's length. Per element, for update number {@code t}:
 * <pre>
 *   p  -= lr * weightDecay * p                 (decoupled; only where the mask says the tensor decays)
 *   m   = beta1 * m + (1 - beta1) * g
 *   v   = beta2 * v + (1 - beta2) * g^2
 *   p  -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
 * </pre>
 * where {@code g} is the gradient times the clip factor. One fused pass over the range, in parallel
 * chunks (element-wise, so the result does not depend on the split); nothing is allocated per step
 * beyond the chunk views.
 */
public final class AdamW {
    /** Optimizer hyper-parameters (HF names: adam_beta1, adam_beta2, adam_epsilon, weight_decay). */
    public record Settings(double beta1, double beta2, double epsilon, double weightDecay) {
        public Settings {
            if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(epsilon > 0) || !(weightDecay >= 0)) {
                throw new IllegalArgumentException("AdamW needs 0 <= betas < 1, epsilon > 0, weight_decay >= 0");
            }
        }
    }

    private final Settings settings;
    private final long start;
    private final long end;
    private final DecayMask decayMask;
    private final INDArray expAvg;
    private final INDArray expAvgSq;
    private long updates;

    /** A fresh optimizer (zero moments, no updates yet) for {@code [start, end)}. */
    public AdamW(Settings settings, long start, long end, DecayMask decayMask) {
        this(settings, start, end, decayMask,
                Nd4j.zeros(DataType.FLOAT, end - start), Nd4j.zeros(DataType.FLOAT, end - start), 0);
    }

    /** An optimizer continuing from saved moments after {@code updates} updates (a resumed run). */
    public AdamW(Settings settings, long start, long end, DecayMask decayMask, INDArray expAvg, INDArray expAvgSq, long updates) {
        if (start < 0 || end < start) {
            throw new IllegalArgumentException("bad range [" + start + ", " + end + ")");
        }
        if (expAvg.length() != end - start || expAvgSq.length() != end - start) {
            throw new IllegalArgumentException("moments must have the range's length " + (end - start));
        }
        this.settings = settings;
        this.start = start;
        this.end = end;
        this.decayMask = decayMask;
        this.expAvg = expAvg;
        this.expAvgSq = expAvgSq;
        this.updates = updates;
    }

    /**
     * Applies one update to {@code params[start, end)} from {@code grads[start, end)} scaled by
     * {@code gradScale} (the clip factor; 1 for none).
     */
    public void step(INDArray params, INDArray grads, double lr, double gradScale) {
        updates++;
        final double b1 = settings.beta1();
        final double b2 = settings.beta2();
        final double stepSize = lr / (1 - Math.pow(b1, updates));
        final double bc2Sqrt = Math.sqrt(1 - Math.pow(b2, updates));
        final double eps = settings.epsilon();
        final double decayFactor = 1 - lr * settings.weightDecay();
        long length = end - start;
        IntStream.range(0, FlatFloats.chunks(length)).parallel().forEach(c -> {
            long s = start + (long) c * FlatFloats.CHUNK;
            long e = Math.min(end, s + FlatFloats.CHUNK);
            int len = (int) (e - s);
            FloatBuffer p = FlatFloats.view(params, s, len);
            FloatBuffer g = FlatFloats.view(grads, s, len);
            FloatBuffer m = FlatFloats.view(expAvg, s - start, len);
            FloatBuffer v = FlatFloats.view(expAvgSq, s - start, len);
            decayMask.forEachSegment(s, e, (segStart, segEnd, decays) -> {
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
        });
    }

    public Settings settings() {
        return settings;
    }

    public long start() {
        return start;
    }

    public long end() {
        return end;
    }

    /** First moments of the owned range (live; checkpoints read it). */
    public INDArray expAvg() {
        return expAvg;
    }

    /** Second moments of the owned range (live; checkpoints read it). */
    public INDArray expAvgSq() {
        return expAvgSq;
    }

    /** Number of updates applied so far (the {@code t} of bias correction; skipped steps do not count). */
    public long updates() {
        return updates;
    }
}
