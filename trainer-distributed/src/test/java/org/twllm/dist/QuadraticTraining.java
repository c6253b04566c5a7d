package org.twllm.dist;

import java.util.ArrayList;
import java.util.List;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.twllm.core.engine.cpu.GradientReadyListener;
import org.twllm.core.engine.cpu.CpuAdamW;
import org.twllm.core.train.DataParallel;
import org.twllm.core.engine.DecayMask;
import org.twllm.core.train.GradientClipping;

/**
 * A synthetic model trained the way the trainer trains, small and fast enough to use buckets far smaller
 * than the trainer's 1 MiB minimum (so several reduce-scatters overlap one "backward"): a weighted quadratic loss {@code sum_j 0.5 w_j (p_j - t_ij)^2 / G} per sample
 * {@code i} of a global batch of {@code G}, samples split contiguously over ranks, a "backward" that
 * fills the flat gradient buffer layer by layer from the last layer to the first and reports each layer
 * to the gradient listener, global-norm clipping, AdamW on the owned range and an all-gather. With one
 * rank it runs on {@link org.twllm.core.train.SingleRank}, with more on the ZeRO-2 data parallelism.
 */
final class QuadraticTraining {
    static final int PARAMETERS = 10_007;
    static final int LAYERS = 9;
    static final int GLOBAL_BATCH = 12;
    static final int STEPS = 6;
    static final double LR = 0.01;
    static final double MAX_GRAD_NORM = 1.0;
    static final AdamW.Settings ADAMW = new AdamW.Settings(0.9, 0.95, 1e-8, 0.1);

    final List<Double> losses = new ArrayList<>();
    final INDArray params = Nd4j.zeros(DataType.FLOAT, PARAMETERS);
    private final INDArray grads = Nd4j.zeros(DataType.FLOAT, PARAMETERS);
    private final DataParallel dp;
    private final AdamW optimizer;
    private int step;

    QuadraticTraining(DataParallel dp) {
        this.dp = dp;
        for (int j = 0; j < PARAMETERS; j++) {
            params.putScalar(j, 0.01f * ((j % 13) - 6));
        }
        optimizer = new AdamW(ADAMW, dp.ownedStart(), dp.ownedEnd(), DecayMask.all(PARAMETERS));
    }

    static float target(long sample, int j) {
        return 1.0f + 0.5f * (float) Math.sin(0.37 * sample + 0.011 * j);
    }

    static float weight(int j) {
        return 0.5f + (j % 7) * 0.25f;
    }

    void train(int untilStep) {
        while (step < untilStep) {
            step++;
            int perRank = GLOBAL_BATCH / dp.worldSize();
            long first = (long) (step - 1) * GLOBAL_BATCH + (long) dp.rank() * perRank;
            grads.assign(0);
            GradientReadyListener listener = dp.beginGradientSync(grads);
            double localLoss = 0;
            int layer = (PARAMETERS + LAYERS - 1) / LAYERS;
            for (int end = PARAMETERS; end > 0; end -= layer) {
                int start = Math.max(0, end - layer);
                for (int j = start; j < end; j++) {
                    float p = params.getFloat(j);
                    float w = weight(j);
                    float g = 0;
                    for (long i = first; i < first + perRank; i++) {
                        float d = p - target(i, j);
                        g += w * d / GLOBAL_BATCH;
                        localLoss += 0.5 * w * d * d / GLOBAL_BATCH;
                    }
                    grads.putScalar(j, g);
                }
                listener.gradientsReady(start, end - start);
            }
            dp.finishGradientSync(grads);
            double[] sums = {localLoss, GradientClipping.ownedSumOfSquares(grads, dp)};
            dp.allReduceSum(sums);
            losses.add(sums[0]);
            double norm = Math.sqrt(sums[1]);
            optimizer.step(params, grads, LR, GradientClipping.clipFactor(norm, MAX_GRAD_NORM));
            dp.allGatherParameters(params);
        }
    }

    /** One line: the step losses, then the parameters, as exact bit patterns. */
    String report() {
        StringBuilder sb = new StringBuilder("LOSSES");
        for (double loss : losses) {
            sb.append(' ').append(Double.toHexString(loss));
        }
        sb.append("\nPARAMS");
        for (int j = 0; j < PARAMETERS; j++) {
            sb.append(' ').append(Integer.toHexString(Float.floatToIntBits(params.getFloat(j))));
        }
        return sb.toString();
    }
}
