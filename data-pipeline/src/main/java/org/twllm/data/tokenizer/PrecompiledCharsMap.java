package org.twllm.data.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A SentencePiece normalization rule set ({@code NormalizerSpec.precompiled_charsmap}, e.g. nmt_nfkc): a
 * darts-clone double-array trie over UTF-8 keys whose values are offsets of NUL-terminated replacement strings.
 * Blob layout: uint32 little-endian trie size in bytes, the trie (uint32 little-endian units), the strings.
 */
final class PrecompiledCharsMap {
    private final int[] units;
    private final byte[] strings;
    private final ConcurrentHashMap<Integer, char[]> replacements = new ConcurrentHashMap<>();

    PrecompiledCharsMap(byte[] blob) {
        if (blob.length <= 4) {
            throw new ProtoReader.MalformedProtoException("its precompiled_charsmap is broken (" + blob.length + " bytes)");
        }
        long trieBytes = readUint32(blob, 0);
        if (trieBytes >= blob.length - 4 || trieBytes % 4 != 0 || trieBytes == 0) {
            throw new ProtoReader.MalformedProtoException("its precompiled_charsmap trie size " + trieBytes + " does not fit its "
                    + blob.length + " bytes");
        }
        units = new int[(int) (trieBytes / 4)];
        for (int i = 0; i < units.length; i++) {
            units[i] = (int) readUint32(blob, 4 + 4 * i);
        }
        int stringsStart = 4 + (int) trieBytes;
        strings = new byte[blob.length - stringsStart];
        System.arraycopy(blob, stringsStart, strings, 0, strings.length);
    }

    private static long readUint32(byte[] b, int at) {
        return (b[at] & 0xFFL) | (b[at + 1] & 0xFFL) << 8 | (b[at + 2] & 0xFFL) << 16 | (b[at + 3] & 0xFFL) << 24;
    }

    /**
     * The longest rule matching a prefix of {@code text[pos, end)}: sets {@code unit} to its replacement and returns
     * true, or returns false when no rule matches. Keys are matched on the UTF-8 bytes of whole characters.
     */
    boolean longestMatch(char[] text, int pos, int end, TextNormalizer.Unit unit) {
        int id = offset(units[0]);
        int matchedChars = 0;
        int matchedValue = -1;
        int k = pos;
        while (k < end) {
            char c = text[k];
            int cp;
            int charLength;
            if (Character.isHighSurrogate(c) && k + 1 < end && Character.isLowSurrogate(text[k + 1])) {
                cp = Character.toCodePoint(c, text[k + 1]);
                charLength = 2;
            } else if (Character.isSurrogate(c)) {
                break;
            } else {
                cp = c;
                charLength = 1;
            }
            int byteCount = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
            boolean leaf = false;
            for (int i = 0; i < byteCount; i++) {
                int b = utf8Byte(cp, byteCount, i);
                id ^= b;
                if (id < 0 || id >= units.length) {
                    return finish(matchedChars, matchedValue, unit);
                }
                int u = units[id];
                if (label(u) != b) {
                    return finish(matchedChars, matchedValue, unit);
                }
                id ^= offset(u);
                leaf = hasLeaf(u);
            }
            k += charLength;
            if (leaf && id >= 0 && id < units.length) {
                matchedChars = k - pos;
                matchedValue = units[id] & 0x7FFFFFFF;
            }
        }
        return finish(matchedChars, matchedValue, unit);
    }

    private boolean finish(int matchedChars, int value, TextNormalizer.Unit unit) {
        if (matchedChars == 0) {
            return false;
        }
        char[] replacement = replacements.computeIfAbsent(value, this::decodeString);
        unit.set(replacement, 0, replacement.length, matchedChars);
        return true;
    }

    private char[] decodeString(int offset) {
        if (offset < 0 || offset >= strings.length) {
            return new char[0];
        }
        int end = offset;
        while (end < strings.length && strings[end] != 0) {
            end++;
        }
        return new String(strings, offset, end - offset, StandardCharsets.UTF_8).toCharArray();
    }

    private static int utf8Byte(int cp, int byteCount, int i) {
        return switch (byteCount) {
            case 1 -> cp;
            case 2 -> i == 0 ? 0xC0 | cp >> 6 : 0x80 | cp & 0x3F;
            case 3 -> i == 0 ? 0xE0 | cp >> 12 : i == 1 ? 0x80 | cp >> 6 & 0x3F : 0x80 | cp & 0x3F;
            default -> i == 0 ? 0xF0 | cp >> 18 : i == 1 ? 0x80 | cp >> 12 & 0x3F : i == 2 ? 0x80 | cp >> 6 & 0x3F : 0x80 | cp & 0x3F;
        };
    }

    // darts-clone unit layout.
    private static boolean hasLeaf(int unit) {
        return ((unit >>> 8) & 1) == 1;
    }

    private static int label(int unit) {
        return unit & (0x80000000 | 0xFF);
    }

    private static int offset(int unit) {
        return (unit >>> 10) << ((unit & (1 << 9)) >>> 6);
    }
}
