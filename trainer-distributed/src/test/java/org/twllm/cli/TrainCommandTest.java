package org.twllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** twllm train and twllm export through Main.run on a tiny random model and a slice of the fixture corpus. */
class TrainCommandTest {
    private static Path config(Path dir) throws Exception {
        return CliRun.tinyCpt(dir, "");
    }

    /** Runs the CLI, returning its exit code and what it printed to stderr. */
    private static Object[] run(String... args) {
        CliRun r = CliRun.of(args);
        return new Object[] {r.code(), r.err()};
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
