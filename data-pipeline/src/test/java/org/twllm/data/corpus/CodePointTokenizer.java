package org.twllm.data.corpus;

import org.twllm.data.tokenizer.Tokenizer;

/**
 * A stand-in tokenizer for corpus tests: one id per Unicode code point (id = code point + 3; unk 0,
 * BOS 1, EOS 2), stateless and thread-safe. Its vocabulary (1,114,115 ids) needs uint32 shards.
 */
final class CodePointTokenizer implements Tokenizer {
    static final String FINGERPRINT = "test-codepoint-tokenizer";

    @Override
    public int[] encode(String text) {
        return text.codePoints().map(cp -> cp + 3).toArray();
    }

    @Override
    public String decode(int[] ids) {
        StringBuilder out = new StringBuilder();
        for (int id : ids) {
            if (id > 2) {
                out.appendCodePoint(id - 3);
            }
        }
        return out.toString();
    }

    @Override
    public String piece(int id) {
        return id > 2 ? new String(Character.toChars(id - 3)) : new String[] {"<unk>", "<s>", "</s>"}[id];
    }

    @Override
    public int vocabSize() {
        return Character.MAX_CODE_POINT + 1 + 3;
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
        return FINGERPRINT;
    }
}
