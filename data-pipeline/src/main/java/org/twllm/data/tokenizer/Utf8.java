package org.twllm.data.tokenizer;

/** UTF-8 decoding with SentencePiece's rules for byte-fallback pieces. */
final class Utf8 {
    private Utf8() {
    }

    /**
     * Appends {@code bytes[0, count)} decoded as UTF-8 to {@code out}. As SentencePiece's DecodeUTF8, a byte
     * that does not start a well-formed, shortest-form sequence of a valid code point becomes one U+FFFD.
     */
    static void decodeLikeSentencePiece(byte[] bytes, int count, StringBuilder out) {
        int i = 0;
        while (i < count) {
            int b0 = bytes[i] & 0xFF;
            int remaining = count - i;
            int cp = -1;
            int length = 1;
            if (b0 < 0x80) {
                cp = b0;
            } else if (remaining >= 2 && (b0 & 0xE0) == 0xC0) {
                int c = (b0 & 0x1F) << 6 | bytes[i + 1] & 0x3F;
                if (isTrail(bytes[i + 1]) && c >= 0x80) {
                    cp = c;
                    length = 2;
                }
            } else if (remaining >= 3 && (b0 & 0xF0) == 0xE0) {
                int c = (b0 & 0x0F) << 12 | (bytes[i + 1] & 0x3F) << 6 | bytes[i + 2] & 0x3F;
                if (isTrail(bytes[i + 1]) && isTrail(bytes[i + 2]) && c >= 0x800 && isValidCodePoint(c)) {
                    cp = c;
                    length = 3;
                }
            } else if (remaining >= 4 && (b0 & 0xF8) == 0xF0) {
                int c = (b0 & 0x07) << 18 | (bytes[i + 1] & 0x3F) << 12 | (bytes[i + 2] & 0x3F) << 6 | bytes[i + 3] & 0x3F;
                if (isTrail(bytes[i + 1]) && isTrail(bytes[i + 2]) && isTrail(bytes[i + 3]) && c >= 0x10000
                        && isValidCodePoint(c)) {
                    cp = c;
                    length = 4;
                }
            }
            if (cp < 0) {
                out.append('\uFFFD');
                i++;
            } else {
                out.appendCodePoint(cp);
                i += length;
            }
        }
    }

    private static boolean isTrail(byte b) {
        return (b & 0xC0) == 0x80;
    }

    private static boolean isValidCodePoint(int c) {
        return c < 0xD800 || (c >= 0xE000 && c <= 0x10FFFF);
    }
}
