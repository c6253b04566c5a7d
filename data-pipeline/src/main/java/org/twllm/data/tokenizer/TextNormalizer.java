package org.twllm.data.tokenizer;

/**
 * SentencePiece's normalizer without a character map (the "identity" normalizer Llama-2 uses): optional
 * removal of leading, trailing and repeated spaces, the dummy-prefix space, and escaping of ' ' as
 * U+2581 ("▁"). User-defined symbols are passed through as whole units, as SentencePiece does.
 */
final class TextNormalizer {
    static final char SPACE_SYMBOL = '\u2581';
    private static final char REPLACEMENT_CHARACTER = '\uFFFD';

    private final boolean addDummyPrefix;
    private final boolean removeExtraWhitespaces;
    private final boolean escapeWhitespaces;
    private final boolean treatWhitespaceAsSuffix;
    private final UserSymbolMatcher userSymbols;

    TextNormalizer(SentencePieceModel.NormalizerSpec spec, boolean treatWhitespaceAsSuffix, UserSymbolMatcher userSymbols) {
        this.addDummyPrefix = spec.addDummyPrefix();
        this.removeExtraWhitespaces = spec.removeExtraWhitespaces();
        this.escapeWhitespaces = spec.escapeWhitespaces();
        this.treatWhitespaceAsSuffix = treatWhitespaceAsSuffix;
        this.userSymbols = userSymbols;
    }

    /**
     * Writes the normalized form of {@code input} into {@code out} (cleared first); {@code raw} is scratch.
     * A lone UTF-16 surrogate (text that is not valid Unicode) becomes U+FFFD, as a malformed UTF-8 byte does
     * in SentencePiece.
     */
    void normalize(String input, GrowableChars raw, GrowableChars out) {
        out.clear();
        int n = input.length();
        if (n == 0) {
            return;
        }
        raw.ensureCapacity(n);
        input.getChars(0, n, raw.chars, 0);
        char[] in = raw.chars;
        int pos = 0;
        if (removeExtraWhitespaces) {
            while (pos < n && in[pos] == ' ' && userSymbolLength(in, pos, n) <= 1) {
                pos++;
            }
            if (pos == n) {
                return;
            }
        }
        out.ensureCapacity(n + 2);
        char[] dst = out.chars;
        int written = 0;
        char whitespace = escapeWhitespaces ? SPACE_SYMBOL : ' ';
        if (!treatWhitespaceAsSuffix && addDummyPrefix) {
            dst[written++] = whitespace;
        }
        boolean prevIsSpace = removeExtraWhitespaces;
        while (pos < n) {
            int unit = userSymbolLength(in, pos, n);
            char c = in[pos];
            if (unit == 0) {
                if (Character.isHighSurrogate(c) && pos + 1 < n && Character.isLowSurrogate(in[pos + 1])) {
                    unit = 2;
                } else if (Character.isSurrogate(c)) {
                    dst[written++] = REPLACEMENT_CHARACTER;
                    pos++;
                    prevIsSpace = false;
                    continue;
                } else {
                    unit = 1;
                }
            }
            int start = pos;
            int end = pos + unit;
            if (prevIsSpace) {
                while (start < end && in[start] == ' ') {
                    start++;
                }
            }
            if (start < end) {
                for (int k = start; k < end; k++) {
                    char ch = in[k];
                    dst[written++] = (ch == ' ' && escapeWhitespaces) ? SPACE_SYMBOL : ch;
                }
                prevIsSpace = in[end - 1] == ' ';
            }
            pos = end;
            if (!removeExtraWhitespaces) {
                prevIsSpace = false;
            }
        }
        if (removeExtraWhitespaces) {
            while (written > 0 && dst[written - 1] == whitespace) {
                written--;
            }
        }
        if (treatWhitespaceAsSuffix && addDummyPrefix) {
            dst[written++] = whitespace;
        }
        out.length = written;
    }

    private int userSymbolLength(char[] in, int pos, int n) {
        return userSymbols == null ? 0 : userSymbols.match(in, pos, n);
    }
}
