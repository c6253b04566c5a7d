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
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.twllm.core.io.DType;
import org.twllm.core.io.HfModelDirectory;
import org.twllm.core.model.LlamaConfig;
import org.twllm.core.model.LlamaModel;
import org.twllm.errors.ConfigException;
import org.twllm.errors.TwllmException;
import org.twllm.progress.Progress;
import org.twllm.progress.ProgressOutput;

class CheckpointFilesTest {

    private static OptimizerState optimizerWithMoments(long start, long end, long updates) {
        INDArray m = Nd4j.linspace(DataType.FLOAT, start, end - start, 1);
        INDArray v = Nd4j.linspace(DataType.FLOAT, start, end - start, 1).muli(-1);
        return new OptimizerState(start, m, v, updates);
    }

    private static TrainerState state(long step) {
        return new TrainerState(step, 4 * step, 100 * step, 0, 1.5, 42, "abc", 2, "test", Map.of());
    }

    @Test
    void optimizerRangesSavedByTwoRanksAssembleIntoAnyOtherRange(@TempDir Path dir) {
        optimizerWithMoments(0, 10, 7).write(dir, Progress.none());
        optimizerWithMoments(10, 25, 7).write(dir, Progress.none());
        OptimizerState s = OptimizerState.load(dir, 5, 20);
        assertEquals(7, s.updates());
        for (int i = 0; i < 15; i++) {
            assertEquals(5 + i, s.expAvg().getFloat(i));
            assertEquals(-(5 + i), s.expAvgSq().getFloat(i));
        }
        TwllmException gap = assertThrows(TwllmException.class, () -> OptimizerState.load(dir, 20, 30));
        assertTrue(gap.getMessage().contains("[25, 30)"), gap.getMessage());
    }

    @Test
    void aCommittedCheckpointVerifiesAndADamagedFileIsNamed(@TempDir Path out) throws IOException {
        CheckpointWriter w = CheckpointWriter.begin(out, 3, CheckpointWriter.newToken());
        w.writeOptimizer(optimizerWithMoments(0, 8, 3), Progress.none());
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
        one.writeOptimizer(optimizerWithMoments(0, 4, 1), Progress.none());
        other.writeOptimizer(optimizerWithMoments(0, 4, 2), Progress.none());
        assertEquals(1, one.commit(state(5)).optimizerState(0, 4).updates(), "the first save holds only its own files");
        TwllmException late = assertThrows(TwllmException.class, () -> other.commit(state(5)));
        assertTrue(late.getMessage().contains("checkpoint-00000005"), late.getMessage());
        assertEquals(1, Checkpoint.open(out.resolve("checkpoint-00000005")).optimizerState(0, 4).updates());
    }

    @Test
    void savingAndExportingALargeModelShowTheBytesWritten(@TempDir Path out) throws IOException {
        LlamaModel model = LlamaModel.random(new LlamaConfig(32, 64, 2, 4, 2, 500, 64, 1e-5, 10000.0, false),
                DataType.FLOAT, 1, 0.02);
        long modelBytes = model.parameters().numParameters() * 4;
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        AtomicLong clock = new AtomicLong();
        // Each clock read is 3 s later, so every update is shown.
        ProgressOutput output = new ProgressOutput(new PrintStream(printed, true, StandardCharsets.UTF_8), false,
                () -> clock.addAndGet(3_000_000_000L));

        CheckpointWriter w = CheckpointWriter.begin(out, 5, CheckpointWriter.newToken());
        try (Progress saving = output.start("checkpoint-00000005", null, modelBytes + 2 * 40 * 4)) {
            w.writeOptimizer(optimizerWithMoments(0, 40, 1), saving);
            HfModelDirectory.save(model, w.directory(), DType.F32, saving);
            assertEquals(modelBytes + 2 * 40 * 4, saving.bytes());
        }
        w.copyFile(Path.of(System.getProperty("twllm.fixtures"), "tokenizer/zh-tw-bpe-8k.model"), Checkpoint.TOKENIZER_FILE);
        Checkpoint c = w.commit(state(5));
        List<String> saveLines = printed.toString(StandardCharsets.UTF_8).lines().toList();
        String total = String.format(java.util.Locale.ROOT, "%.1f", (modelBytes + 2 * 40 * 4) / 1e6).replace(".", "\\.");
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
        first.writeOptimizer(optimizerWithMoments(0, 4, 10), Progress.none());
        first.commit(state(10));

        CheckpointWriter crashed = CheckpointWriter.begin(out, 20, CheckpointWriter.newToken());
        crashed.writeOptimizer(optimizerWithMoments(0, 4, 20), Progress.none()); // ... and the process dies here
        CheckpointDirectory checkpoints = new CheckpointDirectory(out);
        assertEquals(10, checkpoints.newest().orElseThrow().step());
        assertEquals(10, checkpoints.newest().orElseThrow().optimizerState(0, 4).updates());

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
        HfModelDirectory.save(LlamaModel.random(new LlamaConfig(16, 32, 1, 2, 2, 8000, 64, 1e-5, 10000, false),
                DataType.FLOAT, 1, 0.02), w.directory(), DType.F32);
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
