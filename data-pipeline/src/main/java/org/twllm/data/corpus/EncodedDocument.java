package org.twllm.data.corpus;

/**
 * A document's tokens as stored in a shard.
 *
 * @param tokens   token ids, BOS/EOS included
 * @param lossMask per-token loss mask (true = trained) for SFT documents, null for cPT ones
 */
public record EncodedDocument(int[] tokens, boolean[] lossMask) {
    public EncodedDocument {
        if (lossMask != null && lossMask.length != tokens.length) {
            throw new IllegalArgumentException("loss mask has " + lossMask.length + " entries for " + tokens.length + " tokens");
        }
    }
}
