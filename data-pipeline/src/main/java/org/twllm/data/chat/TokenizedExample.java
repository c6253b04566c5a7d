package org.twllm.data.chat;

/**
 * One rendered training example: token ids (BOS first) and a per-token loss mask where {@code lossMask[i]}
 * says whether token i is trained, i.e. whether predicting it from {@code ids[0..i-1]} carries a loss.
 * This is the per-token mask SFT shards store.
 */
public record TokenizedExample(int[] ids, boolean[] lossMask) {
    public TokenizedExample {
        if (ids.length != lossMask.length) {
            throw new IllegalArgumentException("ids (" + ids.length + ") and loss mask (" + lossMask.length + ") differ in length");
        }
    }

    public int length() {
        return ids.length;
    }

    /** Number of tokens that carry a loss. */
    public int trainedTokens() {
        int count = 0;
        for (boolean trained : lossMask) {
            if (trained) {
                count++;
            }
        }
        return count;
    }

    /**
     * Where the last run of trained tokens starts (the last reply and its EOS): the tokens before it are the
     * prompt that asks for that reply.
     */
    public int lastTrainedRunStart() {
        int i = lossMask.length - 1;
        while (i >= 0 && !lossMask[i]) {
            i--;
        }
        if (i < 0) {
            throw new IllegalStateException("the example has no trained token");
        }
        while (i > 0 && lossMask[i - 1]) {
            i--;
        }
        return i;
    }
}
