package org.twllm.core.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.twllm.core.config.StageConfigLoader.FileChecks;

/** The SentencePiece model ({@code tokenizer:}). */
public record TokenizerConfig(Values values) implements ConfigSection {
    static final KeyTable<TokenizerConfig> KEYS = new KeyTable<>(TokenizerConfig::new, TokenizerConfig::check);

    /** Absolute after binding. */
    public static final Key<Path> PATH = KEYS.key("path", ValueTypes.path()).required()
            .doc("a SentencePiece `.model` file (Llama-2's `tokenizer.model`, or the bundled"
                    + " `src-test-fixtures/tokenizer/zh-tw-bpe-8k.model`)");

    public TokenizerConfig {
        KEYS.requireOwn(values);
    }

    public Path path() {
        return values.get(PATH);
    }

    /** The file must exist (per the file checks); its vocabulary size is kept for model.vocab_size. */
    private static void check(Section s) {
        Path path = s.value(PATH);
        if (path == null) {
            return;
        }
        if (!Files.isRegularFile(path)) {
            if (s.binder().checks() != FileChecks.NONE) {
                s.problem(PATH, "no such file: " + path + " (a SentencePiece .model file)");
            }
            return;
        }
        try {
            s.binder().tokenizerPieces(SentencePieceModelFile.pieceCount(path));
        } catch (IOException e) {
            s.problem(PATH, path + " is " + e.getMessage());
        }
    }
}
