package org.twllm.core.eval;

import org.twllm.core.engine.Engine;
import org.twllm.core.engine.TokenBatch;
import org.twllm.data.tokenizer.Tokenizer;
import org.twllm.errors.ConfigException;

/**
 * What {@code twllm score --ids/--text} prints: {@code log p(ids[t] | ids[0..t))} for every token after the
 * first, from one forward pass of the training model (so it compares directly with another implementation).
 */
public final class TokenLogProbs {
    private TokenLogProbs() {
    }

    /** The log-probabilities of {@code ids[1..]}; empty for fewer than two ids. */
    public static float[] of(Engine model, int[] ids) {
        if (ids.length < 2) {
            return new float[0];
        }
        int max = model.config().maxPositionEmbeddings();
        if (ids.length - 1 > max) {
            throw new ConfigException(ids.length + " tokens need " + (ids.length - 1) + " positions but the model's"
                    + " max_position_embeddings is " + max + "; score at most " + (max + 1) + " tokens");
        }
        int[] inputs = java.util.Arrays.copyOf(ids, ids.length - 1);
        int[] targets = java.util.Arrays.copyOfRange(ids, 1, ids.length);
        return model.targetLogProbs(TokenBatch.causal(new int[][] {inputs}, new int[][] {targets}));
    }

    /** The log-probabilities of {@code text}'s tokens after BOS. */
    public static float[] ofText(Engine model, Tokenizer tokenizer, String text) {
        int[] body = tokenizer.encode(text);
        int[] ids = new int[body.length + 1];
        ids[0] = tokenizer.bosId();
        System.arraycopy(body, 0, ids, 1, body.length);
        return of(model, ids);
    }
}
