package org.twllm.data.chat;

import org.twllm.data.tokenizer.CodePointTokenizer;
import org.twllm.data.tokenizer.SentencePieceTokenizer;
import org.twllm.data.tokenizer.Tokenizer;

import java.nio.file.Path;

/** Tokenizers and fixture paths for data-pipeline tests. */
public final class TestTokenizers {
    private TestTokenizers() {
    }

    private static Tokenizer zhTw;

    /** The project's SentencePiece BPE fixture model (Llama-2 style, Traditional Chinese and English), loaded once. */
    public static synchronized Tokenizer zhTw() {
        if (zhTw == null) {
            zhTw = SentencePieceTokenizer.load(fixture("tokenizer/zh-tw-bpe-8k.model"));
        }
        return zhTw;
    }

    /** A character-level tokenizer with SentencePiece's whitespace handling, independent of the SentencePiece code. */
    public static Tokenizer chars() {
        return CodePointTokenizer.sentencePieceStyle();
    }

    public static Path fixture(String relative) {
        String root = System.getProperty("twllm.fixtures");
        if (root == null) {
            throw new IllegalStateException("system property twllm.fixtures is not set (Surefire sets it)");
        }
        return Path.of(root, relative);
    }
}
