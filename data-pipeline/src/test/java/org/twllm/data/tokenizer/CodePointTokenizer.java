package org.twllm.data.tokenizer;

/**
 * The stand-in tokenizer of twllm's tests (shared with other modules through data-pipeline's test jar):
 * one id per Unicode code point, {@code id = code point + 3}, with 0 unk, 1 BOS and 2 EOS, so a test reads
 * ids straight off its text and depends on nothing of the SentencePiece code. Stateless and thread-safe.
 *
 * <p>{@link #sentencePieceStyle()} also does what SentencePiece does to whitespace: every encoded text gets
 * a dummy-prefix {@code ▁} and its spaces become {@code ▁}; decoding turns them back and drops the prefix.
 */
public final class CodePointTokenizer implements Tokenizer {
    /** Id of code point 0; ids below it are unk, BOS and EOS. */
    public static final int OFFSET = 3;
    private static final char WORD_START = '▁';

    private final int vocabSize;
    private final boolean dummyPrefix;

    private CodePointTokenizer(int vocabSize, boolean dummyPrefix) {
        this.vocabSize = vocabSize;
        this.dummyPrefix = dummyPrefix;
    }

    /** Every code point: 1,114,115 ids (shards of it need 4-byte tokens). */
    public static CodePointTokenizer allCodePoints() {
        return new CodePointTokenizer(Character.MAX_CODE_POINT + 1 + OFFSET, false);
    }

    /** Code points below {@code vocabSize - 3} only, for a model with that vocabulary. */
    public static CodePointTokenizer withVocab(int vocabSize) {
        return new CodePointTokenizer(vocabSize, false);
    }

    /** Every code point, with SentencePiece's dummy prefix and {@code ▁} for spaces. */
    public static CodePointTokenizer sentencePieceStyle() {
        return new CodePointTokenizer(Character.MAX_CODE_POINT + 1 + OFFSET, true);
    }

    /** The id of one code point. */
    public static int id(int codePoint) {
        return codePoint + OFFSET;
    }

    @Override
    public int[] encode(String text) {
        String pieces = dummyPrefix ? WORD_START + text.replace(' ', WORD_START) : text;
        return pieces.codePoints().map(cp -> {
            if (id(cp) >= vocabSize) {
                throw new IllegalArgumentException("code point U+" + Integer.toHexString(cp) + " is outside a vocabulary of "
                        + vocabSize);
            }
            return id(cp);
        }).toArray();
    }

    @Override
    public String decode(int[] ids) {
        StringBuilder out = new StringBuilder();
        for (int id : ids) {
            if (id >= OFFSET) {
                out.appendCodePoint(id - OFFSET);
            }
        }
        if (!dummyPrefix) {
            return out.toString();
        }
        String text = out.toString().replace(WORD_START, ' ');
        return text.startsWith(" ") ? text.substring(1) : text;
    }

    @Override
    public String piece(int id) {
        return id >= OFFSET ? new String(Character.toChars(id - OFFSET)) : new String[] {"<unk>", "<s>", "</s>"}[id];
    }

    @Override
    public int vocabSize() {
        return vocabSize;
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
        return "test-codepoint-" + vocabSize + (dummyPrefix ? "-dummy-prefix" : "");
    }
}
