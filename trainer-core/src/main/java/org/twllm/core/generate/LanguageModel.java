package org.twllm.core.generate;

/** What evaluation needs from a model: generate after a prompt, and score given tokens. */
public interface LanguageModel {
    GenerationResult generate(int[] prompt, SamplingSettings settings);

    /**
     * Natural-log probabilities {@code log p(tokens[i] | tokens[0..i))} for {@code i = from .. tokens.length - 1}
     * ({@code 1 <= from < tokens.length}); {@code tokens.length} must not exceed {@link #contextLength()}.
     */
    double[] logProbs(int[] tokens, int from);

    /** The longest sequence (prompt plus generated tokens) the model runs. */
    int contextLength();
}
