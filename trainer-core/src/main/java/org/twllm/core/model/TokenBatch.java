package org.twllm.core.model;

import java.util.List;

import org.twllm.data.loader.Sample;
import org.twllm.errors.ConfigException;

/**
 * A micro-batch of {@code batchSize} samples of {@code seqLen} positions, flattened row-major
 * ({@code [b * seqLen + t]}), as the model consumes it. See {@link Sample} for what each array means.
 */
public record TokenBatch(int batchSize, int seqLen, int[] inputs, int[] targets, int[] positions, int[] exampleIds) {

    public TokenBatch {
        int n = batchSize * seqLen;
        if (batchSize <= 0 || seqLen <= 0) {
            throw new IllegalArgumentException("empty batch: " + batchSize + " x " + seqLen);
        }
        if (inputs.length != n || targets.length != n || positions.length != n || exampleIds.length != n) {
            throw new IllegalArgumentException("batch arrays must all hold " + n + " entries");
        }
    }

    /** Stacks samples of equal length into one batch. */
    public static TokenBatch of(List<Sample> samples) {
        int b = samples.size();
        int t = samples.get(0).length();
        int[] inputs = new int[b * t];
        int[] targets = new int[b * t];
        int[] positions = new int[b * t];
        int[] exampleIds = new int[b * t];
        for (int i = 0; i < b; i++) {
            Sample s = samples.get(i);
            if (s.length() != t) {
                throw new IllegalArgumentException("samples differ in length: " + t + " and " + s.length());
            }
            System.arraycopy(s.inputs(), 0, inputs, i * t, t);
            System.arraycopy(s.targets(), 0, targets, i * t, t);
            System.arraycopy(s.positions(), 0, positions, i * t, t);
            System.arraycopy(s.exampleIds(), 0, exampleIds, i * t, t);
        }
        return new TokenBatch(b, t, inputs, targets, positions, exampleIds);
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
            if (target != Sample.IGNORE) {
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
            if (target != Sample.IGNORE && (target < 0 || target >= vocab)) {
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
