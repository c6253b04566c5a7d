package org.twllm.core.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twllm.core.engine.Engine;
import org.twllm.core.engine.LlamaConfig;
import org.twllm.core.engine.OwnedTensor;
import org.twllm.core.engine.cpu.TestEngines;
import org.twllm.core.io.DType;
import org.twllm.core.io.HfModelDirectory;
import org.twllm.errors.ConfigException;
import org.twllm.errors.TwllmException;
import org.twllm.progress.Progress;
import org.twllm.progress.ProgressOutput;

class CheckpointFilesTest {

    /** The saved state of flat element i: master weight 1000 + i, exp_avg i, exp_avg_sq -i. */
    private static float ramp(OwnedTensor tensor, long i) {
        return switch (tensor) {
            case MASTER -> 1000f + i;
            case EXP_AVG -> i;
            case EXP_AVG_SQ -> -i;
        };
    }

    /** The ramp's state of the range starting at flat element {@code start}, as an engine's partition reads it. */
    private static OptimizerState.Source ramp(long start) {
        return (tensor, offset, dst, count) -> {
            for (int i = 0; i < count; i++) {
                dst[i] = ramp(tensor, start + offset + i);
            }
        };
    }

    private static void writeOptimizer(CheckpointWriter w, long start, long end, long updates) {
        w.writeOptimizer(start, end, updates, ramp(start), Progress.none());
    }

    private static long updatesOf(Checkpoint c) {
        try (OptimizerState s = c.optimizerState()) {
            return s.updates();
        }
    }

    private static Engine randomModel(LlamaConfig config) {
        return TestEngines.random(config, 1, 0.02);
    }

    private static TrainerState state(long step) {
        return new TrainerState(step, 4 * step, 100 * step, 0, 1.5, 42, "abc", 2, "test", Map.of());
    }

    @Test
    void optimizerRangesSavedByTwoRanksAssembleIntoAnyOtherRange(@TempDir Path dir) {
        OptimizerState.write(dir, 0, 10, 7, ramp(0), Progress.none());
        OptimizerState.write(dir, 10, 25, 7, ramp(10), Progress.none());
        try (OptimizerState s = OptimizerState.open(dir)) {
            assertEquals(7, s.updates());
            assertTrue(s.hasMaster());
            for (OwnedTensor tensor : OwnedTensor.values()) {
                float[] restored = new float[15];
                s.restore(tensor, 5, 20, (t, offset, src, count) -> {
                    assertEquals(tensor, t);
                    System.arraycopy(src, 0, restored, (int) offset, count);
                });
                for (int i = 0; i < 15; i++) {
                    assertEquals(ramp(tensor, 5 + i), restored[i], tensor + " element " + (5 + i));
                }
            }
            TwllmException gap = assertThrows(TwllmException.class,
                    () -> s.restore(OwnedTensor.EXP_AVG, 20, 30, (t, offset, src, count) -> { }));
            assertTrue(gap.getMessage().contains("[25, 30)"), gap.getMessage());
        }
    }

    @Test
    void aCommittedCheckpointVerifiesAndADamagedFileIsNamed(@TempDir Path out) throws IOException {
        CheckpointWriter w = CheckpointWriter.begin(out, 3, CheckpointWriter.newToken());
        writeOptimizer(w, 0, 8, 3);
        w.writeString("config.json", "{}");
        Checkpoint c = w.commit(state(3));
        assertEquals(out.resolve("checkpoint-00000003"), c.dir());
        assertFalse(Files.exists(w.directory()));
        Checkpoint reopened = Checkpoint.open(c.dir());
        assertEquals(12, reopened.state().consumedSamples());
        assertEquals(Map.of("config.json", reopened.state().files().get("config.json"),
                "optimizer-0-8.safetensors", reopened.state().files().get("optimizer-0-8.safetensors")), reopened.state().files());

        try (RandomAccessFile f = new RandomAccessFile(c.dir().resolve("optimizer-0-8.safetensors").toFile(), "rw")) {
            f.seek(f.length() - 1);
            f.write(0x7f);
        }
        TwllmException e = assertThrows(TwllmException.class, () -> Checkpoint.open(c.dir()));
        assertTrue(e.getMessage().contains("optimizer-0-8.safetensors"), e.getMessage());
    }

    @Test
    void twoProcessesSavingOneStepNeverShareATemporaryDirectory(@TempDir Path out) {
        // Issue 12 §3: two runs on one directory used to write the same .tmp-checkpoint-N and mix their files.
        CheckpointWriter one = CheckpointWriter.begin(out, 5, CheckpointWriter.newToken());
        CheckpointWriter other = CheckpointWriter.begin(out, 5, CheckpointWriter.newToken());
        assertNotEquals(one.directory(), other.directory());
        writeOptimizer(one, 0, 4, 1);
        writeOptimizer(other, 0, 4, 2);
        assertEquals(1, updatesOf(one.commit(state(5))), "the first save holds only its own files");
        TwllmException late = assertThrows(TwllmException.class, () -> other.commit(state(5)));
        assertTrue(late.getMessage().contains("checkpoint-00000005"), late.getMessage());
        assertEquals(1, updatesOf(Checkpoint.open(out.resolve("checkpoint-00000005"))));
    }

    @Test
    void savingAndExportingALargeModelShowTheBytesWritten(@TempDir Path out) throws IOException {
        Engine model = randomModel(new LlamaConfig(32, 64, 2, 4, 2, 500, 64, 1e-5, 10000.0, false));
        long modelBytes = model.layout().total() * 4;
        long optimizerBytes = OptimizerState.bytes(40);
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        AtomicLong clock = new AtomicLong();
        // Each clock read is 3 s later, so every update is shown.
        ProgressOutput output = new ProgressOutput(new PrintStream(printed, true, StandardCharsets.UTF_8), false,
                () -> clock.addAndGet(3_000_000_000L));

        CheckpointWriter w = CheckpointWriter.begin(out, 5, CheckpointWriter.newToken());
        try (Progress saving = output.start("checkpoint-00000005", null, modelBytes + optimizerBytes)) {
            w.writeOptimizer(0, 40, 1, ramp(0), saving);
            HfModelDirectory.save(model.config(), model::readWeights, w.directory(), DType.F32, saving);
            assertEquals(modelBytes + optimizerBytes, saving.bytes());
        }
        w.copyFile(Path.of(System.getProperty("twllm.fixtures"), "tokenizer/zh-tw-bpe-8k.model"), Checkpoint.TOKENIZER_FILE);
        Checkpoint c = w.commit(state(5));
        List<String> saveLines = printed.toString(StandardCharsets.UTF_8).lines().toList();
        String total = String.format(java.util.Locale.ROOT, "%.1f", (modelBytes + optimizerBytes) / 1e6).replace(".", "\\.");
        assertTrue(saveLines.get(0).matches("checkpoint-00000005: [0-9.]+ / " + total + " MB, [0-9.]+ MB/s, [0-9]+%, ETA [0-9hms]+"),
                saveLines.get(0));
        assertTrue(saveLines.get(saveLines.size() - 1).matches("checkpoint-00000005: " + total + " MB, [0-9.]+ MB/s, done in [0-9hms]+"),
                saveLines.toString());

        printed.reset();
        ModelExport.export(c, out.resolve("hf"), output);
        long exported = Files.size(out.resolve("hf/model.safetensors")) + Files.size(out.resolve("hf/config.json"))
                + Files.size(out.resolve("hf/tokenizer.model"));
        List<String> exportLines = printed.toString(StandardCharsets.UTF_8).lines().toList();
        assertTrue(exportLines.get(exportLines.size() - 1).startsWith(String.format(java.util.Locale.ROOT,
                "export hf: %,.1f MB, ", exported / 1e6)), exportLines.toString());
    }

    @Test
    void aSaveThatDiesBeforeCommitLeavesThePreviousCheckpointNewestAndIsSweptAway(@TempDir Path out) {
        CheckpointWriter first = CheckpointWriter.begin(out, 10, CheckpointWriter.newToken());
        writeOptimizer(first, 0, 4, 10);
        first.commit(state(10));

        CheckpointWriter crashed = CheckpointWriter.begin(out, 20, CheckpointWriter.newToken());
        writeOptimizer(crashed, 0, 4, 20); // ... and the process dies here
        CheckpointDirectory checkpoints = new CheckpointDirectory(out);
        assertEquals(10, checkpoints.newest().orElseThrow().step());
        assertEquals(10, updatesOf(checkpoints.newest().orElseThrow()));

        checkpoints.sweepStale();
        assertFalse(Files.exists(crashed.directory()));
        assertEquals(List.of(out.resolve("checkpoint-00000010")), checkpoints.complete());
    }

    @Test
    void aDamagedNewestCheckpointIsPassedOverForTheOneBefore(@TempDir Path out) throws IOException {
        for (long step : new long[] {1, 2}) {
            CheckpointWriter w = CheckpointWriter.begin(out, step, CheckpointWriter.newToken());
            w.writeString("config.json", "{\"step\": " + step + "}");
            w.commit(state(step));
        }
        Files.writeString(out.resolve("checkpoint-00000002/config.json"), "{\"step\": 9}");
        assertEquals(1, new CheckpointDirectory(out).newest().orElseThrow().step());
    }

    @Test
    void keepsOnlyTheNewestK(@TempDir Path out) {
        for (long step = 1; step <= 4; step++) {
            CheckpointWriter.begin(out, step, CheckpointWriter.newToken()).commit(state(step));
        }
        CheckpointDirectory checkpoints = new CheckpointDirectory(out);
        checkpoints.keepNewest(2);
        assertEquals(List.of(out.resolve("checkpoint-00000003"), out.resolve("checkpoint-00000004")), checkpoints.complete());
    }

    @Test
    void openingSomethingThatIsNotACheckpointIsAConfigError(@TempDir Path out) {
        assertThrows(ConfigException.class, () -> Checkpoint.open(out.resolve("nope")));
        assertThrows(ConfigException.class, () -> Checkpoint.open(out));
    }

    @Test
    void onlyResumeSafeKeysMayChange() {
        String saved = "run:\n  output_dir: /a\n  seed: 1\ntraining:\n  max_steps: 10\n  learning_rate: 0.001\n"
                + "checkpoint:\n  save_steps: 5\ndata:\n  sources:\n  - path: /x\n";
        String safe = saved.replace("max_steps: 10", "max_steps: 50").replace("save_steps: 5", "save_steps: 7")
                .replace("/a", "/b");
        assertEquals(List.of(), ResumeCompatibility.unsafeChanges(saved, safe));
        String unsafe = saved.replace("0.001", "0.002").replace("/x", "/y");
        assertEquals(List.of("data.sources[0].path: /x -> /y", "training.learning_rate: 0.001 -> 0.002"),
                ResumeCompatibility.unsafeChanges(saved, unsafe));
    }

    @Test
    void aCheckpointWithoutTheHfTokenizerFilesExportsThemWithoutAChatTemplate(@TempDir Path out) throws IOException {
        // as twllm wrote checkpoints before tokenizer_config.json and generation_config.json were part of them
        Path tokenizer = Path.of(System.getProperty("twllm.fixtures"), "tokenizer/zh-tw-bpe-8k.model");
        CheckpointWriter w = CheckpointWriter.begin(out, 2, CheckpointWriter.newToken());
        Engine model = randomModel(new LlamaConfig(16, 32, 1, 2, 2, 8000, 64, 1e-5, 10000, false));
        HfModelDirectory.save(model.config(), model::readWeights, w.directory(), DType.F32);
        w.copyFile(tokenizer, Checkpoint.TOKENIZER_FILE);
        Checkpoint legacy = w.commit(state(2));
        Path exported = out.resolve("hf");
        ModelExport.export(Checkpoint.open(legacy.dir()), exported);
        JsonNode t = new ObjectMapper().readTree(exported.resolve(HfInferenceFiles.TOKENIZER_CONFIG).toFile());
        assertEquals("LlamaTokenizer", t.get("tokenizer_class").asText());
        assertEquals(64, t.get("model_max_length").asInt());
        assertFalse(t.has("chat_template"));
        assertEquals(2, new ObjectMapper().readTree(exported.resolve(HfInferenceFiles.GENERATION_CONFIG).toFile())
                .get("eos_token_id").asInt());
    }
}
