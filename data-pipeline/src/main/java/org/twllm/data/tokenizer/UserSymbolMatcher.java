package org.twllm.data.tokenizer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Longest-prefix matching of user-defined symbols, which SentencePiece keeps whole (never normalized or merged). */
final class UserSymbolMatcher {
    private final Map<Character, char[][]> byFirstChar = new HashMap<>();

    private UserSymbolMatcher(List<String> symbols) {
        Map<Character, List<char[]>> groups = new HashMap<>();
        for (String s : symbols) {
            groups.computeIfAbsent(s.charAt(0), c -> new ArrayList<>()).add(s.toCharArray());
        }
        groups.forEach((first, list) -> {
            list.sort(Comparator.comparingInt((char[] a) -> a.length).reversed());
            byFirstChar.put(first, list.toArray(new char[0][]));
        });
    }

    /** A matcher for {@code symbols}, or null when there are none (the common case, checked on the hot path). */
    static UserSymbolMatcher of(List<String> symbols) {
        return symbols.isEmpty() ? null : new UserSymbolMatcher(symbols);
    }

    /** Length in chars of the longest symbol starting at {@code text[pos]} (before {@code end}), or 0. */
    int match(char[] text, int pos, int end) {
        char[][] candidates = byFirstChar.get(text[pos]);
        if (candidates == null) {
            return 0;
        }
        for (char[] c : candidates) {
            if (c.length <= end - pos && regionMatches(text, pos, c)) {
                return c.length;
            }
        }
        return 0;
    }

    private static boolean regionMatches(char[] text, int pos, char[] symbol) {
        for (int i = 0; i < symbol.length; i++) {
            if (text[pos + i] != symbol[i]) {
                return false;
            }
        }
        return true;
    }
}
