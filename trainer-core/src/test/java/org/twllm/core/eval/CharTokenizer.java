package org.twllm.core.eval;

import org.twllm.data.tokenizer.Tokenizer;

/** One id per code point (id = code point + 3; 0 unk, 1 BOS, 2 EOS): a tokenizer whose ids a test can read. */
final class CharTokenizer implements Tokenizer {
    static final int OFFSET = 3;

    @Override
    public int[] encode(String text) {
        return text.codePoints().map(cp -> cp + OFFSET).toArray();
    }

    @Override
    public String decode(int[] ids) {
        StringBuilder out = new StringBuilder();
        for (int id : ids) {
            if (id >= OFFSET) {
                out.appendCodePoint(id - OFFSET);
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
        return 0x30000 + OFFSET;
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
        return "char";
    }
}
