package org.twllm.core.config;

import java.io.IOException;
import java.nio.file.Path;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The two fields of an init directory's HF {@code config.json} that validation needs before any
 * weights load: the context length (bounds data.seq_len) and the vocabulary (must cover the tokenizer).
 */
record InitModelInfo(int maxPositionEmbeddings, int vocabSize) {
    private static final ObjectMapper JSON = new ObjectMapper();

    static InitModelInfo read(Path configJson) throws IOException {
        JsonNode root = JSON.readTree(configJson.toFile());
        return new InitModelInfo(positiveInt(root, "max_position_embeddings"), positiveInt(root, "vocab_size"));
    }

    private static int positiveInt(JsonNode root, String key) throws IOException {
        JsonNode v = root == null ? null : root.get(key);
        if (v == null || !v.canConvertToInt() || v.asInt() <= 0) {
            throw new IOException("has no positive integer " + key);
        }
        return v.asInt();
    }
}
