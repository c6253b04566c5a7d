package org.twllm.cli.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twllm.cli.CliRun;

/** twllm config validate / show through Main.run: exit codes and printed text. */
class ConfigCommandTest {
    private static final Path FIXTURES = Path.of(System.getProperty("twllm.fixtures", "../src-test-fixtures"))
            .toAbsolutePath().normalize();

    @TempDir
    Path dir;

    private String out;
    private String err;

    private int run(String... args) {
        CliRun result = CliRun.of(args);
        out = result.out();
        err = result.err();
        return result.code();
    }

    private Path writeConfig(String init) throws Exception {
        String yaml = """
                stage: STAGE
                run: {name: t, output_dir: DIR/out}
                model:
                  init: INIT
                  hidden_size: 64
                  intermediate_size: 128
                  num_hidden_layers: 2
                  num_attention_heads: 4
                  max_position_embeddings: 64
                tokenizer: {path: FIX/tokenizer/zh-tw-bpe-8k.model}
                data:
                  seq_len: 32
                  sources: [{path: SOURCE}]
                training: {max_steps: 10, learning_rate: 1.0e-3}
                """;
        if (!init.equals("random")) {
            yaml = yaml.replaceAll("  (hidden_size|intermediate_size|num_hidden_layers|num_attention_heads|max_position_embeddings): \\d+\n", "")
                    .replace("STAGE", "sft").replace("SOURCE", "FIX/dialogues/zh-tw-dialogues.jsonl");
        }
        yaml = yaml.replace("STAGE", "cpt").replace("SOURCE", "FIX/corpus/tang-poems.zh-Hant.jsonl")
                .replace("INIT", init).replace("DIR", dir.toString()).replace("FIX", FIXTURES.toString());
        Path file = dir.resolve("c.yaml");
        Files.writeString(file, yaml);
        return file;
    }

    @Test
    void validConfigPrintsOkWithTheParameterCount() throws Exception {
        Path file = writeConfig("random");
        assertEquals(0, run("config", "validate", file.toString()));
        assertEquals("ok: " + file + " (stage cpt, 1,106,240 parameters)\n", out);
        assertEquals("", err);
    }

    @Test
    void missingInitIsAWarningAndStillOk() throws Exception {
        Path init = dir.resolve("prev/final");
        Path file = writeConfig(init.toString());
        assertEquals(0, run("config", "validate", file.toString()));
        assertEquals("ok: " + file + " (stage sft, model from " + init + ")\n", out);
        assertEquals("warning: " + file + ":4:3: model.init: " + init + " does not exist yet; run the cpt stage first\n", err);
    }

    @Test
    void problemsExitWithTwoAndAreAllPrinted() throws Exception {
        Path file = writeConfig("random");
        assertEquals(2, run("config", "validate", file.toString(), "--set", "training.learning_rate=abc",
                "--set", "training.max_step=5"));
        assertEquals("", out);
        assertEquals("error: --set training.learning_rate=abc: expected a number, got \"abc\"\n"
                + "--set training.max_step=5: unknown key; did you mean training.max_steps?\n", err);
    }

    @Test
    void showPrintsTheResolvedConfig() throws Exception {
        Path file = writeConfig("random");
        assertEquals(0, run("config", "show", file.toString(), "--set", "training.max_steps=77"));
        assertTrue(out.startsWith("stage: cpt\nrun:\n  name: t\n  output_dir: " + dir.resolve("out") + "\n  seed: 42\n"), out);
        assertTrue(out.contains("\n  max_steps: 77\n"), out);
        assertTrue(out.contains("\n  lr_scheduler_type: cosine\n"), out);
    }

    @Test
    void missingFileIsAConfigError() {
        assertEquals(2, run("config", "validate", dir.resolve("none.yaml").toString()));
        assertEquals("error: " + dir.resolve("none.yaml") + ":1:1: config file not found (resolved to "
                + dir.resolve("none.yaml") + ")\n", err);
    }
}
