package org.twllm.core.engine;

import org.twllm.errors.ConfigException;

/**
 * A micro-batch of {@code batchSize} rows of {@code seqLen} positions, flattened row-major
 * ({@code [b * seqLen + t]}), as the model consumes it. {@code targets[t]} is the token to predict after
 * {@code inputs[..t]}, or {@link #IGNORE} where position t carries no loss; {@code positions[t]} is the
 * rotary position; a token attends only to earlier tokens of its row with the same {@code exampleIds[t]}
 * (packed SFT examples), so one example id per row is plain causal attention.
 */
public record TokenBatch(int batchSize, int seqLen, int[] inputs, int[] targets, int[] positions, int[] exampleIds) {
    /** Target value meaning "no loss at this position" (the HuggingFace convention). */
    public static final int IGNORE = -100;

    public TokenBatch {
        int n = batchSize * seqLen;
        if (batchSize <= 0 || seqLen <= 0) {
            throw new IllegalArgumentException("empty batch: " + batchSize + " x " + seqLen);
        }
        if (inputs.length != n || targets.length != n || positions.length != n || exampleIds.length != n) {
            throw new IllegalArgumentException("batch arrays must all hold " + n + " entries");
        }
    }

    /** A plain causal batch (positions 0..T-1, one example per row), e.g. for scoring. */
    public static TokenBatch causal(int[][] inputs, int[][] targets) {
        int b = inputs.length;
        int t = inputs[0].length;
        int[] in = new int[b * t];
        int[] tg = new int[b * t];
        int[] pos = new int[b * t];
        int[] ex = new int[b * t];
        for (int i = 0; i < b; i++) {
            System.arraycopy(inputs[i], 0, in, i * t, t);
            System.arraycopy(targets[i], 0, tg, i * t, t);
            for (int j = 0; j < t; j++) {
                pos[i * t + j] = j;
            }
        }
        return new TokenBatch(b, t, in, tg, pos, ex);
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

    /**
     * Fails with a message naming the row and position unless every input and target id lies in the
     * model's vocabulary and every position below its max_position_embeddings (every engine checks this
     * before any work).
     */
    public void requireFits(LlamaConfig config) {
        int vocab = config.vocabSize();
        int t = seqLen;
        for (int i = 0; i < inputs.length; i++) {
            int id = inputs[i];
            if (id < 0 || id >= vocab) {
                throw new ConfigException("token id " + id + " at position " + (i % t) + " of row " + (i / t)
                        + " is outside the model's vocabulary [0, " + vocab + "); check the tokenizer matches the model");
            }
            int target = targets[i];
            if (target != IGNORE && (target < 0 || target >= vocab)) {
                throw new ConfigException("target id " + target + " at position " + (i % t) + " of row " + (i / t)
                        + " is outside the model's vocabulary [0, " + vocab + ")");
            }
            int pos = positions[i];
            if (pos < 0 || pos >= config.maxPositionEmbeddings()) {
                throw new ConfigException("position " + pos + " (row " + (i / t) + ") is beyond the model's max_position_embeddings "
                        + config.maxPositionEmbeddings() + "; use shorter sequences");
            }
        }
    }
}
