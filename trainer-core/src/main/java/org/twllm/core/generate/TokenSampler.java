package org.twllm.core.generate;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token from logits: greedy, or temperature, then top-k, then top-p (nucleus), then a
 * draw from a seeded random stream (the order HuggingFace's samplers apply them).
 */
public final class TokenSampler {
    private final SamplingSettings settings;
    private final SplittableRandom random;

    public TokenSampler(SamplingSettings settings) {
        this.settings = settings;
        this.random = new SplittableRandom(settings.seed());
    }

    public int next(float[] logits) {
        if (settings.isGreedy()) {
            return argmax(logits);
        }
        return sample(logits, settings.temperature(), settings.topK(), settings.topP(), random.nextDouble());
    }

    /** Index of the largest logit (the lowest index on ties). */
    public static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    /**
     * The token a uniform draw {@code u} in [0, 1) selects from the filtered distribution. Tokens are
     * ordered by probability (descending, ties by id) and u falls into one of their cumulative intervals.
     */
    static int sample(float[] logits, double temperature, int topK, double topP, double u) {
        int n = logits.length;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> logits[a] != logits[b] ? Float.compare(logits[b], logits[a]) : Integer.compare(a, b));
        int keep = topK > 0 ? Math.min(topK, n) : n;
        double max = logits[order[0]] / temperature;
        double[] probs = new double[keep];
        double sum = 0;
        for (int i = 0; i < keep; i++) {
            probs[i] = Math.exp(logits[order[i]] / temperature - max);
            sum += probs[i];
        }
        if (topP < 1) {
            double cumulative = 0;
            for (int i = 0; i < keep; i++) {
                cumulative += probs[i] / sum;
                if (cumulative >= topP) {
                    keep = i + 1;
                    break;
                }
            }
            sum = 0;
            for (int i = 0; i < keep; i++) {
                sum += probs[i];
            }
        }
        double target = u * sum;
        double cumulative = 0;
        for (int i = 0; i < keep; i++) {
            cumulative += probs[i];
            if (target < cumulative) {
                return order[i];
            }
        }
        return order[keep - 1];
    }
}
