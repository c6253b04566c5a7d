package org.twllm.core.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

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
        optimizerWithMoments(0, 10, 7).write(dir);
        optimizerWithMoments(10, 25, 7).write(dir);
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
        CheckpointWriter w = CheckpointWriter.begin(out, 3);
        w.writeOptimizer(optimizerWithMoments(0, 8, 3));
        w.writeString("config.json", "{}");
        Checkpoint c = w.commit(state(3));
        assertEquals(out.resolve("checkpoint-00000003"), c.dir());
        assertFalse(Files.exists(out.resolve(".tmp-checkpoint-00000003")));
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
    void aSaveThatDiesBeforeCommitLeavesThePreviousCheckpointNewestAndIsSweptAway(@TempDir Path out) {
        CheckpointWriter first = CheckpointWriter.begin(out, 10);
        first.writeOptimizer(optimizerWithMoments(0, 4, 10));
        first.commit(state(10));

        CheckpointWriter crashed = CheckpointWriter.begin(out, 20);
        crashed.writeOptimizer(optimizerWithMoments(0, 4, 20)); // ... and the process dies here
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
            CheckpointWriter w = CheckpointWriter.begin(out, step);
            w.writeString("config.json", "{\"step\": " + step + "}");
            w.commit(state(step));
        }
        Files.writeString(out.resolve("checkpoint-00000002/config.json"), "{\"step\": 9}");
        assertEquals(1, new CheckpointDirectory(out).newest().orElseThrow().step());
    }

    @Test
    void keepsOnlyTheNewestK(@TempDir Path out) {
        for (long step = 1; step <= 4; step++) {
            CheckpointWriter.begin(out, step).commit(state(step));
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
        CheckpointWriter w = CheckpointWriter.begin(out, 2);
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
