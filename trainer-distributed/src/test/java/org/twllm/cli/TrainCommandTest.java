package org.twllm.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twllm.ModelFiles;
import org.twllm.core.checkpoint.Checkpoint;
import org.twllm.core.checkpoint.OptimizerState;
import org.twllm.core.engine.Bf16;
import org.twllm.core.engine.OwnedTensor;
import org.twllm.core.io.DType;
import org.twllm.core.io.SafetensorsFile;

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

        // an fp32 run exported as bf16: its weights rounded to nearest even
        Path bf16 = dir.resolve("hf-bf16");
        assertEquals(Main.EXIT_OK, run("export", "--checkpoint", dir.resolve("run/checkpoint-00000004").toString(),
                "--out", bf16.toString(), "--dtype", "bf16")[0]);
        assertDType(bf16, DType.BF16, "bfloat16");
        float[] exact = ModelFiles.weights(out);
        float[] rounded = ModelFiles.weights(bf16);
        for (int i = 0; i < exact.length; i++) {
            assertEquals(Bf16.round(exact[i]), rounded[i], "weight " + i);
        }
    }

    @Test
    void aBf16RunExportsInBf16OrAsItsFp32MasterWeights(@TempDir Path dir) throws Exception {
        Path cfg = config(dir);
        assertEquals(Main.EXIT_OK, run("train", "--stage", "cpt", "--config", cfg.toString(), "--set", "training.precision=bf16")[0]);
        Path checkpoint = dir.resolve("run/checkpoint-00000002");
        assertDType(dir.resolve("run/final"), DType.BF16, "bfloat16");

        Path asRun = dir.resolve("hf");
        assertEquals(Main.EXIT_OK, run("export", "--checkpoint", checkpoint.toString(), "--out", asRun.toString())[0]);
        assertDType(asRun, DType.BF16, "bfloat16");
        Path fp32 = dir.resolve("hf-fp32");
        assertEquals(Main.EXIT_OK, run("export", "--checkpoint", checkpoint.toString(), "--out", fp32.toString(), "--dtype", "fp32")[0]);
        assertDType(fp32, DType.F32, "float32");

        float[] compute = ModelFiles.weights(asRun);
        float[] master = ModelFiles.weights(fp32);
        float[] saved = new float[master.length];
        try (OptimizerState state = Checkpoint.open(checkpoint).optimizerState()) {
            state.read(OwnedTensor.MASTER, 0, saved, saved.length);
        }
        assertArrayEquals(saved, master, "the fp32 export is the checkpoint's master weights");
        int inexact = 0;
        for (int i = 0; i < master.length; i++) {
            assertEquals(Bf16.round(master[i]), compute[i], "weight " + i);
            inexact += master[i] != compute[i] ? 1 : 0;
        }
        assertTrue(inexact > master.length / 2, "the masters keep bits the bf16 model lost");

        Object[] bad = run("export", "--checkpoint", checkpoint.toString(), "--out", dir.resolve("hf-16").toString(), "--dtype", "fp16");
        assertEquals(Main.EXIT_USAGE, bad[0]);
        assertTrue(((String) bad[1]).contains("use --dtype bf16 or --dtype fp32"), (String) bad[1]);
    }

    private static void assertDType(Path modelDir, DType dtype, String torchName) throws Exception {
        try (SafetensorsFile f = SafetensorsFile.open(modelDir.resolve("model.safetensors"))) {
            f.tensors().values().forEach(t -> assertEquals(dtype, t.dtype(), t.name()));
        }
        assertEquals(torchName, new ObjectMapper().readTree(modelDir.resolve("config.json").toFile()).get("torch_dtype").asText());
    }
}
