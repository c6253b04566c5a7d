package org.twllm.core.generate;

import java.util.List;

/**
 * How to pick each next token and when to stop.
 *
 * @param maxNewTokens  upper bound on generated tokens
 * @param temperature   0 means greedy (argmax); otherwise logits are divided by it before sampling
 * @param topK          keep only the k most likely tokens (0: no limit)
 * @param topP          keep the smallest set of most likely tokens whose probability reaches p (1: no limit)
 * @param seed          seed of the sampling random stream (same seed, same text)
 * @param stopSequences generation stops when the text contains one; the text is cut before it
 */
public record SamplingSettings(int maxNewTokens, double temperature, int topK, double topP, long seed,
                               List<String> stopSequences) {
    /** {@code twllm generate}'s defaults, which exported models also carry in generation_config.json. */
    public static final int DEFAULT_MAX_NEW_TOKENS = 256;
    public static final double DEFAULT_TEMPERATURE = 0;
    public static final int DEFAULT_TOP_K = 0;
    public static final double DEFAULT_TOP_P = 1;

    public SamplingSettings {
        if (maxNewTokens < 1) {
            throw new IllegalArgumentException("max new tokens must be at least 1, got " + maxNewTokens);
        }
        if (temperature < 0 || Double.isNaN(temperature)) {
            throw new IllegalArgumentException("temperature must be >= 0, got " + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("top-k must be >= 0, got " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("top-p must be in (0, 1], got " + topP);
        }
        stopSequences = List.copyOf(stopSequences);
    }

    /** The defaults: greedy decoding of at most {@value #DEFAULT_MAX_NEW_TOKENS} new tokens, seed 0, no stop sequences. */
    public static SamplingSettings defaults() {
        return new SamplingSettings(DEFAULT_MAX_NEW_TOKENS, DEFAULT_TEMPERATURE, DEFAULT_TOP_K, DEFAULT_TOP_P, 0, List.of());
    }

    /** Greedy decoding of at most {@code maxNewTokens} tokens, no stop sequences. */
    public static SamplingSettings greedy(int maxNewTokens) {
        return new SamplingSettings(maxNewTokens, 0, 0, 1, 0, List.of());
    }

    public boolean isGreedy() {
        return temperature == 0;
    }

    public SamplingSettings withStopSequences(List<String> stops) {
        return new SamplingSettings(maxNewTokens, temperature, topK, topP, seed, stops);
    }
}
