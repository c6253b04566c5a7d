package org.twllm.data.corpus;

import org.twllm.data.tokenizer.Tokenizer;

/** A cPT document: its text becomes {@code [BOS] + encode(text) + [EOS]}, every token trained. */
public record TextDocument(String text) implements CorpusDocument {
    @Override
    public EncodedDocument encode(Tokenizer tokenizer) {
        int[] ids = tokenizer.encode(text);
        int[] tokens = new int[ids.length + 2];
        tokens[0] = tokenizer.bosId();
        System.arraycopy(ids, 0, tokens, 1, ids.length);
        tokens[tokens.length - 1] = tokenizer.eosId();
        return new EncodedDocument(tokens, null);
    }
}
