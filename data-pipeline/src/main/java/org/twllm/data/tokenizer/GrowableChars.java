package org.twllm.data.tokenizer;

import java.util.Arrays;

/** A growable char array reused across calls on one thread, so the encode path does not allocate per text. */
final class GrowableChars {
    char[] chars = new char[256];
    int length;

    void clear() {
        length = 0;
    }

    void ensureCapacity(int capacity) {
        if (chars.length < capacity) {
            chars = Arrays.copyOf(chars, Math.max(capacity, chars.length * 2));
        }
    }

    void append(char c) {
        if (length == chars.length) {
            chars = Arrays.copyOf(chars, chars.length * 2);
        }
        chars[length++] = c;
    }
}
