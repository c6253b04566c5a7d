package org.twllm.data.chat;

import org.twllm.data.tokenizer.Tokenizer;

import java.nio.file.Path;

/** Tokenizers and fixture paths for data-pipeline tests. */
public final class TestTokenizers {
    private TestTokenizers() {
    }

    /** The tokenizer chat and loader tests encode with. */
    public static Tokenizer zhTw() {
        return new CharTokenizer();
    }

    public static Path fixture(String relative) {
        String root = System.getProperty("twllm.fixtures");
        if (root == null) {
            throw new IllegalStateException("system property twllm.fixtures is not set (Surefire sets it)");
        }
        return Path.of(root, relative);
    }
}
