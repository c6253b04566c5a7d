package org.twllm.core.generate;

/**
 * What one generation produced, and how fast.
 *
 * @param tokens         the generated ids (without a final EOS, and without the tokens of a stop sequence's end)
 * @param text           the generated text, cut before a stop sequence
 * @param promptTokens   prompt length in tokens
 * @param reusedTokens   prompt tokens whose keys and values came from the cache of the previous call
 * @param prefillSeconds time to run the (non-reused) prompt through the model
 * @param decodeSeconds  time of the one-token steps after the prefill
 */
public record GenerationResult(int[] tokens, String text, StopReason stopReason, int promptTokens, int reusedTokens,
                               double prefillSeconds, double decodeSeconds) {

    public enum StopReason {
        /** The model produced its end-of-sequence token. */
        EOS,
        /** The text reached one of the stop sequences. */
        STOP_SEQUENCE,
        /** max_new_tokens tokens were generated. */
        MAX_NEW_TOKENS,
        /** The sequence filled the model's context (or the cache's capacity). */
        CONTEXT_FULL
    }

    /** Decode steps per second: tokens after the first (which the prefill's logits give) over decode time. */
    public double decodeTokensPerSecond() {
        int steps = Math.max(0, tokens.length - 1);
        return decodeSeconds > 0 ? steps / decodeSeconds : Double.NaN;
    }

    /** Generated tokens per second of wall time, prefill included. */
    public double tokensPerSecond() {
        double total = prefillSeconds + decodeSeconds;
        return total > 0 ? tokens.length / total : Double.NaN;
    }
}
