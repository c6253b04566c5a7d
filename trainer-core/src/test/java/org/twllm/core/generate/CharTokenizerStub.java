package org.twllm.core.generate;

import org.twllm.data.tokenizer.Tokenizer;

/** Ids 3.. decode to letters a, b, c, ... (cycling); 1 is BOS, 2 EOS: enough to exercise stopping and text. */
final class CharTokenizerStub implements Tokenizer {
    private final int vocab;

    CharTokenizerStub(int vocab) {
        this.vocab = vocab;
    }

    @Override
    public int[] encode(String text) {
        return text.chars().map(c -> 3 + (c - 'a')).toArray();
    }

    @Override
    public String decode(int[] ids) {
        StringBuilder out = new StringBuilder();
        for (int id : ids) {
            if (id >= 3) {
                out.append((char) ('a' + (id - 3) % 26));
            }
        }
        return out.toString();
    }

    @Override
    public String piece(int id) {
        return decode(new int[] {id});
    }

    @Override
    public int vocabSize() {
        return vocab;
    }

    @Override
    public int bosId() {
        return 1;
    }

    @Override
    public int eosId() {
        return 2;
    }

    @Override
    public int unkId() {
        return 0;
    }

    @Override
    public int padId() {
        return -1;
    }

    @Override
    public String fingerprint() {
        return "stub";
    }
}
