package org.twllm.data.loader;

/**
 * One training sample of {@code seqLen} positions.
 *
 * <p>{@code targets[t]} is the token to predict after {@code inputs[0..t]}, or {@link #IGNORE} when
 * position t is not trained on (SFT prompts, padding). {@code positions[t]} is the rotary position
 * (restarting at 0 for each packed SFT example); {@code exampleIds[t]} says which packed example the
 * token belongs to: a token attends only to earlier tokens with the same example id. A cPT sample has
 * positions 0..L-1 and one example id, so its attention is plain causal.
 */
public record Sample(int[] inputs, int[] targets, int[] positions, int[] exampleIds) {
    /** Target value meaning "no loss at this position" (the HuggingFace convention). */
    public static final int IGNORE = -100;

    public Sample {
        int n = inputs.length;
        if (targets.length != n || positions.length != n || exampleIds.length != n) {
            throw new IllegalArgumentException("sample arrays differ in length: inputs " + n + ", targets "
                    + targets.length + ", positions " + positions.length + ", exampleIds " + exampleIds.length);
        }
    }

    public int length() {
        return inputs.length;
    }

    /** Number of positions that carry a loss. */
    public int trainedTokens() {
        int count = 0;
        for (int target : targets) {
            if (target != IGNORE) {
                count++;
            }
        }
        return count;
    }
}
