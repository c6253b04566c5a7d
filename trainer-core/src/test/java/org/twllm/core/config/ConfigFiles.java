package org.twllm.core.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.twllm.core.config.StageConfigLoader.FileChecks;

/** Writes small configs into a test's folder and validates them with that folder as working directory. */
final class ConfigFiles {
    static final Path FIXTURES = ShippedConfigsTest.REPO.resolve("src-test-fixtures");
    static final Path TOKENIZER = FIXTURES.resolve("tokenizer/zh-tw-bpe-8k.model");
    static final Path CORPUS = FIXTURES.resolve("corpus/tang-poems.zh-Hant.jsonl");

    /** A valid cpt config; tests edit single lines of it, so keep the line numbers in mind. */
    static final String MINIMAL = """
            stage: cpt
            run:
              name: t
              output_dir: out
            model:
              init: random
              hidden_size: 64
              intermediate_size: 128
              num_hidden_layers: 2
              num_attention_heads: 4
              max_position_embeddings: 64
            tokenizer:
              path: TOKENIZER
            data:
              seq_len: 32
              sources:
                - path: CORPUS
            training:
              max_steps: 10
              learning_rate: 1.0e-3
            """.replace("TOKENIZER", TOKENIZER.toString()).replace("CORPUS", CORPUS.toString());

    private final Path dir;

    ConfigFiles(Path dir) {
        this.dir = dir;
    }

    Path write(String name, String yaml) {
        Path file = dir.resolve(name);
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, yaml, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    ConfigValidation validate(String name, String... sets) {
        return StageConfigLoader.validate(Path.of(name), List.of(sets), dir, FileChecks.ALL);
    }

    /** Writes {@code yaml} as x.yaml and returns its problems. */
    List<String> problems(String yaml, String... sets) {
        write("x.yaml", yaml);
        return validate("x.yaml", sets).problems();
    }

    StageConfig load(String yaml, String... sets) {
        write("x.yaml", yaml);
        return StageConfigLoader.load(Path.of("x.yaml"), List.of(sets), dir);
    }
}
