package org.twllm.core.config;

import java.nio.file.Path;

/** @param path absolute path of a SentencePiece {@code .model} file */
public record TokenizerConfig(Path path) {
}
