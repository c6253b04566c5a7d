package org.twllm.data.tokenizer;

/**
 * SentencePiece's normalizer (normalizer.cc): the input is taken one unit at a time (a user-defined symbol kept
 * whole, else the longest rule of the precompiled character map if the model has one, else one character as is),
 * with optional removal of leading, trailing and repeated spaces, the dummy-prefix space, and escaping of ' ' as
 * U+2581 ("▁"). Without a character map this is the "identity" normalizer Llama-2 uses.
 */
final class TextNormalizer {
    static final char SPACE_SYMBOL = '\u2581';
    private static final char[] REPLACEMENT_CHARACTER = {'\uFFFD'};

    private final boolean addDummyPrefix;
    private final boolean removeExtraWhitespaces;
    private final boolean escapeWhitespaces;
    private final boolean treatWhitespaceAsSuffix;
    private final UserSymbolMatcher userSymbols;
    private final PrecompiledCharsMap charsMap;

    /** One normalization step: the replacement {@code src[start, end)} for {@code consumed} input chars. */
    static final class Unit {
        char[] src;
        int start;
        int end;
        int consumed;

        void set(char[] src, int start, int end, int consumed) {
            this.src = src;
            this.start = start;
            this.end = end;
            this.consumed = consumed;
        }

        boolean isSingleSpace() {
            return end - start == 1 && src[start] == ' ';
        }
    }

    TextNormalizer(SentencePieceModel.NormalizerSpec spec, boolean treatWhitespaceAsSuffix, UserSymbolMatcher userSymbols) {
        this.addDummyPrefix = spec.addDummyPrefix();
        this.removeExtraWhitespaces = spec.removeExtraWhitespaces();
        this.escapeWhitespaces = spec.escapeWhitespaces();
        this.treatWhitespaceAsSuffix = treatWhitespaceAsSuffix;
        this.userSymbols = userSymbols;
        this.charsMap = spec.precompiledCharsmap().length == 0 ? null : new PrecompiledCharsMap(spec.precompiledCharsmap());
    }

    /**
     * Writes the normalized form of {@code input} into {@code out} (cleared first); {@code raw} and {@code unit}
     * are scratch.
     * A lone UTF-16 surrogate (text that is not valid Unicode) becomes U+FFFD, as a malformed UTF-8 byte does
     * in SentencePiece.
     */
    void normalize(String input, GrowableChars raw, Unit unit, GrowableChars out) {
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
            while (pos < n) {
                nextUnit(in, pos, n, unit);
                if (!unit.isSingleSpace()) {
                    break;
                }
                pos += unit.consumed;
            }
            if (pos == n) {
                return;
            }
        }
        char whitespace = escapeWhitespaces ? SPACE_SYMBOL : ' ';
        out.ensureCapacity(n + 2);
        if (!treatWhitespaceAsSuffix && addDummyPrefix) {
            out.append(whitespace);
        }
        boolean prevIsSpace = removeExtraWhitespaces;
        while (pos < n) {
            nextUnit(in, pos, n, unit);
            char[] src = unit.src;
            int start = unit.start;
            int end = unit.end;
            if (prevIsSpace) {
                while (start < end && src[start] == ' ') {
                    start++;
                }
            }
            if (start < end) {
                out.ensureCapacity(out.length + end - start + 1);
                char[] dst = out.chars;
                int written = out.length;
                for (int k = start; k < end; k++) {
                    char ch = src[k];
                    dst[written++] = (ch == ' ' && escapeWhitespaces) ? SPACE_SYMBOL : ch;
                }
                out.length = written;
                prevIsSpace = src[end - 1] == ' ';
            }
            pos += unit.consumed;
            if (!removeExtraWhitespaces) {
                prevIsSpace = false;
            }
        }
        if (removeExtraWhitespaces) {
            while (out.length > 0 && out.chars[out.length - 1] == whitespace) {
                out.length--;
            }
        }
        if (treatWhitespaceAsSuffix && addDummyPrefix) {
            out.append(whitespace);
        }
    }

    private void nextUnit(char[] in, int pos, int n, Unit unit) {
        int user = userSymbols == null ? 0 : userSymbols.match(in, pos, n);
        if (user > 0) {
            unit.set(in, pos, pos + user, user);
            return;
        }
        if (charsMap != null && charsMap.longestMatch(in, pos, n, unit)) {
            return;
        }
        char c = in[pos];
        if (Character.isHighSurrogate(c) && pos + 1 < n && Character.isLowSurrogate(in[pos + 1])) {
            unit.set(in, pos, pos + 2, 2);
        } else if (Character.isSurrogate(c)) {
            unit.set(REPLACEMENT_CHARACTER, 0, 1, 1);
        } else {
            unit.set(in, pos, pos + 1, 1);
        }
    }
}
