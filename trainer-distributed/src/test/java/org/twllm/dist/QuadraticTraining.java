package org.twllm.dist;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;

import org.twllm.core.engine.GradientBucket;
import org.twllm.core.engine.GradientBuckets;
import org.twllm.core.engine.GradientSink;
import org.twllm.core.engine.HostBuffer;
import org.twllm.core.train.DataParallel;
import org.twllm.core.train.GradientClipping;

/**
 * A synthetic model trained the way the trainer trains, small and fast enough to use buckets far smaller
 * than the trainer's 1 MiB minimum (so several reduce-scatters overlap one "backward"): a weighted quadratic loss
 * {@code sum_j 0.5 w_j (p_j - t_ij)^2 / G} per sample {@code i} of a global batch of {@code G}, samples split
 * contiguously over ranks, a "backward" that fills the flat gradient buffer layer by layer from the last layer
 * to the first and hands each layer to data parallelism's gradient sink as a bucket (the layers are the
 * {@link GradientBuckets} of the layout), global-norm clipping over the gradient partitions, AdamW (PyTorch's
 * formula, as the engines compute it) on the owned range and an all-gather. With one rank it runs on
 * {@link org.twllm.core.train.SingleRank}, with more on the ZeRO-2 data parallelism.
 */
final class QuadraticTraining {
    static final int PARAMETERS = 10_007;
    static final int LAYERS = 9;
    static final int GLOBAL_BATCH = 12;
    static final int STEPS = 6;
    static final double LR = 0.01;
    static final double MAX_GRAD_NORM = 1.0;
    static final double BETA1 = 0.9;
    static final double BETA2 = 0.95;
    static final double EPSILON = 1e-8;
    static final double WEIGHT_DECAY = 0.1;

    final List<Double> losses = new ArrayList<>();
    final HostBuffer params = HostBuffer.allocate(PARAMETERS, HostBuffer.Element.F32);
    private final HostBuffer grads = HostBuffer.allocate(PARAMETERS, HostBuffer.Element.F32);
    private final GradientBuckets layers = new GradientBuckets(PARAMETERS, (PARAMETERS + LAYERS - 1) / LAYERS);
    private final DataParallel dp;
    private final HostBuffer partition;
    private final GradientSink sink;
    private final float[] expAvg;
    private final float[] expAvgSq;
    private int step;

    QuadraticTraining(DataParallel dp) {
        this.dp = dp;
        FloatBuffer p = params.floats(0, PARAMETERS);
        for (int j = 0; j < PARAMETERS; j++) {
            p.put(j, 0.01f * ((j % 13) - 6));
        }
        int owned = (int) (dp.ownedEnd() - dp.ownedStart());
        partition = HostBuffer.allocate(owned, HostBuffer.Element.F32);
        sink = dp.gradientSink(partition);
        expAvg = new float[owned];
        expAvgSq = new float[owned];
    }

    static float target(long sample, int j) {
        return 1.0f + 0.5f * (float) Math.sin(0.37 * sample + 0.011 * j);
    }

    static float weight(int j) {
        return 0.5f + (j % 7) * 0.25f;
    }

    void train(int untilStep) {
        FloatBuffer p = params.floats(0, PARAMETERS);
        FloatBuffer g = grads.floats(0, PARAMETERS);
        while (step < untilStep) {
            step++;
            int perRank = GLOBAL_BATCH / dp.worldSize();
            long first = (long) (step - 1) * GLOBAL_BATCH + (long) dp.rank() * perRank;
            grads.zero();
            partition.zero();
            double localLoss = 0;
            for (int b = 0; b < layers.count(); b++) {
                int start = (int) layers.start(b);
                int end = (int) layers.end(b);
                for (int j = start; j < end; j++) {
                    float pj = p.get(j);
                    float w = weight(j);
                    float gj = 0;
                    for (long i = first; i < first + perRank; i++) {
                        float d = pj - target(i, j);
                        gj += w * d / GLOBAL_BATCH;
                        localLoss += 0.5 * w * d * d / GLOBAL_BATCH;
                    }
                    g.put(j, gj);
                }
                sink.bucketReady(new GradientBucket(b, start, end, grads.slice(start, end - start), () -> { }));
            }
            sink.awaitAll();
            double[] sums = {localLoss, partition.sumOfSquares(0, partition.elements())};
            dp.allReduceSum(sums);
            losses.add(sums[0]);
            adamW(GradientClipping.clipFactor(Math.sqrt(sums[1]), MAX_GRAD_NORM));
            dp.allGather(params);
        }
    }

    /** AdamW with decoupled weight decay on every owned element, gradients times {@code clipFactor}. */
    private void adamW(double clipFactor) {
        int owned = expAvg.length;
        FloatBuffer p = params.floats(dp.ownedStart(), owned);
        FloatBuffer g = partition.floats(0, owned);
        double stepSize = LR / (1 - Math.pow(BETA1, step));
        double bc2Sqrt = Math.sqrt(1 - Math.pow(BETA2, step));
        for (int i = 0; i < owned; i++) {
            double grad = g.get(i) * clipFactor;
            expAvg[i] = (float) (BETA1 * expAvg[i] + (1 - BETA1) * grad);
            expAvgSq[i] = (float) (BETA2 * expAvgSq[i] + (1 - BETA2) * grad * grad);
            double denom = Math.sqrt(expAvgSq[i]) / bc2Sqrt + EPSILON;
            p.put(i, (float) (p.get(i) * (1 - LR * WEIGHT_DECAY) - stepSize * expAvg[i] / denom));
        }
    }

    /** One line: the step losses, then the parameters, as exact bit patterns. */
    String report() {
        StringBuilder sb = new StringBuilder("LOSSES");
        for (double loss : losses) {
            sb.append(' ').append(Double.toHexString(loss));
        }
        sb.append("\nPARAMS");
        FloatBuffer p = params.floats(0, PARAMETERS);
        for (int j = 0; j < PARAMETERS; j++) {
            sb.append(' ').append(Integer.toHexString(Float.floatToIntBits(p.get(j))));
        }
        return sb.toString();
    }
}
