package org.twllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** twllm train and twllm export through Main.run on a tiny random model and a slice of the fixture corpus. */
class TrainCommandTest {
    private static final Path FIXTURES = Path.of(System.getProperty("twllm.fixtures"));

    private static Path config(Path dir) throws Exception {
        return config(dir, 8000);
    }

    /** A tiny cpt config over 60 poems whose model has {@code vocabSize} embedding rows (the tokenizer has 8,000 pieces). */
    static Path config(Path dir, int vocabSize) throws Exception {
        List<String> poems = Files.readAllLines(FIXTURES.resolve("corpus/tang-poems.zh-Hant.jsonl"));
        Path corpus = dir.resolve("poems.jsonl");
        Files.write(corpus, poems.subList(0, 60));
        Path file = dir.resolve("cpt.yaml");
        Files.writeString(file, "stage: cpt\n"
                + "run:\n  name: cli\n  output_dir: " + dir.resolve("run") + "\n"
                + "model:\n  init: random\n  hidden_size: 16\n  intermediate_size: 32\n  num_hidden_layers: 1\n"
                + "  num_attention_heads: 2\n  num_key_value_heads: 2\n  vocab_size: " + vocabSize + "\n  max_position_embeddings: 32\n"
                + "tokenizer:\n  path: " + FIXTURES.resolve("tokenizer/zh-tw-bpe-8k.model") + "\n"
                + "data:\n  seq_len: 16\n  sources:\n    - path: " + corpus + "\n"
                + "training:\n  max_steps: 2\n  per_device_train_batch_size: 2\n  learning_rate: 1.0e-3\n  warmup_steps: 1\n"
                + "device:\n  peak_flops: 1.0e11\n");
        return file;
    }

    /** Runs the CLI, returning its exit code and what it printed to stderr. */
    static Object[] run(String... args) {
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            int code = Main.run(args);
            return new Object[] {code, captured.toString(StandardCharsets.UTF_8)};
        } finally {
            System.setErr(err);
        }
    }

    @Test
    void aStageThatIsNotTheConfigsIsAUsageError(@TempDir Path dir) throws Exception {
        Object[] r = run("train", "--stage", "sft", "--config", config(dir).toString());
        assertEquals(Main.EXIT_USAGE, r[0]);
        assertTrue(((String) r[1]).contains("does not match") && ((String) r[1]).contains("cpt config"), (String) r[1]);
        Object[] bad = run("train", "--stage", "pretrain", "--config", config(dir).toString());
        assertEquals(Main.EXIT_USAGE, bad[0]);
    }

    @Test
    void trainsResumesAndExports(@TempDir Path dir) throws Exception {
        Path cfg = config(dir);
        assertEquals(Main.EXIT_OK, run("train", "--stage", "cpt", "--config", cfg.toString())[0]);
        Path checkpoint = dir.resolve("run/checkpoint-00000002");
        assertTrue(Files.isRegularFile(checkpoint.resolve("trainer_state.json")));
        assertTrue(Files.isRegularFile(dir.resolve("run/final/model.safetensors")));
        assertEquals(2, Files.readAllLines(dir.resolve("run/metrics.jsonl")).size());

        // two more steps from the given checkpoint: max_steps is resume-safe
        assertEquals(Main.EXIT_OK, run("train", "--stage", "cpt", "--config", cfg.toString(), "--set", "training.max_steps=4",
                "--resume", checkpoint.toString())[0]);
        assertEquals(4, Files.readAllLines(dir.resolve("run/metrics.jsonl")).size());

        Path out = dir.resolve("hf");
        assertEquals(Main.EXIT_OK, run("export", "--checkpoint", dir.resolve("run/checkpoint-00000004").toString(),
                "--out", out.toString())[0]);
        for (String f : List.of("config.json", "model.safetensors", "tokenizer.model", "tokenizer_config.json",
                "generation_config.json")) {
            assertTrue(Files.isRegularFile(out.resolve(f)), f);
        }
        Object[] missing = run("export", "--checkpoint", dir.resolve("nope").toString(), "--out", out.toString());
        assertEquals(Main.EXIT_USAGE, missing[0]);
    }
}
