package org.twllm.core.engine;

import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * HF's {@code LlamaPreTrainedModel} initialisation of a model of any engine: normal(0, std) weights for the
 * matrices, 1 for the norm weights. The numbers are a function of the seed only: every {@link #CHUNK} elements
 * of a tensor draw from their own generator, seeded by (seed, tensor, chunk), so chunks are drawn in parallel
 * and every engine and machine starts from the same weights.
 */
public final class RandomWeights {
    static final int CHUNK = 1 << 20;

    private RandomWeights() {
    }

    /** Writes the initial weights of {@code layout} into {@code target}. */
    public static void fill(ParameterLayout layout, long seed, double std, FloatRangeWriter target) {
        int threads = Runtime.getRuntime().availableProcessors();
        for (int t = 0; t < layout.specs().size(); t++) {
            ParameterSpec s = layout.specs().get(t);
            int chunks = (int) ((s.length() + CHUNK - 1) / CHUNK);
            float[][] drawn = new float[Math.min(chunks, threads)][];
            for (int first = 0; first < chunks; first += drawn.length) {
                int group = Math.min(drawn.length, chunks - first);
                int tensor = t;
                int from = first;
                IntStream.range(0, group).parallel().forEach(i -> drawn[i] = chunk(s, seed, tensor, from + i, std));
                for (int i = 0; i < group; i++) {
                    target.write(s.offset() + (long) (first + i) * CHUNK, drawn[i], drawn[i].length);
                }
            }
        }
    }

    private static float[] chunk(ParameterSpec s, long seed, int tensor, int chunk, double std) {
        int n = (int) Math.min(CHUNK, s.length() - (long) chunk * CHUNK);
        float[] values = new float[n];
        if (!s.decays()) {
            java.util.Arrays.fill(values, 1f);
            return values;
        }
        SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + tensor * 0xBF58476D1CE4E5B9L + chunk);
        for (int i = 0; i < n; i++) {
            values[i] = (float) (random.nextGaussian() * std);
        }
        return values;
    }
}
