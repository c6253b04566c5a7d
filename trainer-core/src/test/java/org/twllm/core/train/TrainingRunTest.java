package org.twllm.core.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twllm.core.checkpoint.Checkpoint;
import org.twllm.core.checkpoint.CheckpointDirectory;
import org.twllm.core.checkpoint.ModelExport;
import org.twllm.core.config.StageConfig;
import org.twllm.core.config.StageConfigLoader;
import org.twllm.core.io.HfModelDirectory;
import org.twllm.core.model.LlamaModel;
import org.twllm.core.model.TokenBatch;
import org.twllm.data.loader.DataLoader;
import org.twllm.data.loader.Sample;
import org.twllm.data.tokenizer.SentencePieceTokenizer;
import org.twllm.errors.ConfigException;

/** End-to-end runs of the tiny stages: loss falls, exact resume, refused config changes, export, stage chaining. */
class TrainingRunTest {
    @TempDir
    static Path shared;
    static Path corpus;
    static Path cache;

    @BeforeAll
    static void corpus() throws Exception {
        corpus = TinyStages.corpusSlice(shared, 150);
        cache = shared.resolve("cache");
    }

    @Test
    void theLossFallsAndAResumedRunRepeatsTheUninterruptedLossesExactly(@TempDir Path dir) throws Exception {
        Path whole = dir.resolve("whole");
        StageConfig wholeConfig = TinyStages.load(dir, "whole", TinyStages.cpt(whole, cache, corpus, 8, 3));
        TrainingRun.Result result = TrainingRun.run(wholeConfig, ResumeRequest.never(), SingleProcess::new, null);
        List<Double> expected = TinyStages.losses(whole);
        assertEquals(8, expected.size());
        assertEquals(Math.log(8000), expected.get(0), 0.3, "a random model starts near ln(vocab)");
        assertTrue(expected.get(7) < expected.get(0) - 0.5, "the loss should fall: " + expected);
        assertEquals(8, result.progress().step());
        assertEquals(8 * 4 * 16, result.progress().tokens());
        assertEquals(List.of(whole.resolve("checkpoint-00000003"), whole.resolve("checkpoint-00000006"),
                whole.resolve("checkpoint-00000008")), new CheckpointDirectory(whole).complete());

        // The same run, crashed after step 5 was computed (checkpoint 3 is the newest), then resumed.
        Path crashed = dir.resolve("crashed");
        StageConfig crashedConfig = TinyStages.load(dir, "crashed", TinyStages.cpt(crashed, cache, corpus, 8, 3));
        RuntimeException crash = assertThrows(RuntimeException.class, () -> TrainingRun.run(crashedConfig,
                ResumeRequest.auto(), SingleProcess::new, line -> {
                    if (line.startsWith("step 5/")) {
                        throw new IllegalStateException("simulated crash");
                    }
                }));
        assertEquals("simulated crash", crash.getMessage());
        assertEquals(5, TinyStages.losses(crashed).size());
        TrainingRun.run(crashedConfig, ResumeRequest.auto(), SingleProcess::new, null);
        assertEquals(expected, TinyStages.losses(crashed), "per-step losses of the resumed run");
        assertArrayEquals(Files.readAllBytes(whole.resolve("final/model.safetensors")),
                Files.readAllBytes(crashed.resolve("final/model.safetensors")), "final weights");

        // A changed learning rate is refused with the key named; more steps are fine.
        ConfigException refused = assertThrows(ConfigException.class, () -> TrainingRun.run(
                TinyStages.load(dir, "changed", TinyStages.cpt(crashed, cache, corpus, 8, 3), "training.learning_rate=1.0e-3"),
                ResumeRequest.auto(), SingleProcess::new, null));
        assertTrue(refused.getMessage().contains("training.learning_rate: 0.02 -> 0.001"), refused.getMessage());
        ConfigException never = assertThrows(ConfigException.class,
                () -> TrainingRun.run(crashedConfig, ResumeRequest.never(), SingleProcess::new, null));
        assertTrue(never.getMessage().contains("checkpoint-00000008"), never.getMessage());
    }

    @Test
    void stagesChainAndTheExportLoadsWithIdenticalLogits(@TempDir Path dir) throws Exception {
        Path cptOut = dir.resolve("cpt");
        TrainingRun.Result cpt = TrainingRun.run(TinyStages.load(dir, "cpt", TinyStages.cpt(cptOut, cache, corpus, 2, 0)),
                ResumeRequest.auto(), SingleProcess::new, null);

        // export round trip: the exported directory and the checkpoint give the same logits
        Path exported = dir.resolve("exported");
        ModelExport.export(cpt.lastCheckpoint(), exported);
        assertTrue(Files.isRegularFile(exported.resolve("tokenizer.model")));
        assertTrue(Files.isRegularFile(exported.resolve("tokenizer_config.json")));
        assertFalse(Files.exists(exported.resolve("trainer_state.json")));
        TokenBatch probe = TokenBatch.causal(new int[][] {{1, 50, 600, 7000, 3}}, new int[][] {{50, 600, 7000, 3, 2}});
        LlamaModel fromCheckpoint = HfModelDirectory.load(cpt.lastCheckpoint().dir());
        assertArrayEquals(fromCheckpoint.logits(probe).ravel().toFloatVector(),
                HfModelDirectory.load(exported).logits(probe).ravel().toFloatVector());

        // sft from the cpt stage's final export: its first loss is the cpt model's loss on the first batch
        Path sftOut = dir.resolve("sft");
        String sftYaml = "stage: sft\nrun:\n  name: sft\n  output_dir: " + sftOut + "\n  seed: 5\n"
                + "model:\n  init: " + cpt.finalModel() + "\n"
                + "tokenizer:\n  path: " + TinyStages.TOKENIZER + "\n"
                + "data:\n  seq_len: 64\n  cache_dir: " + cache + "\n  chat_template: taiwan-llm\n  overlong: truncate\n"
                + "  sources:\n    - path: " + TinyStages.FIXTURES.resolve("dialogues/zh-tw-dialogues.jsonl") + "\n      format: chat\n"
                + TinyStages.training(2, 2, 1, "1.0e-3", 1)
                + "checkpoint:\n  save_steps: 0\n"
                + "device:\n  backend: cpu\n  peak_flops: 1.0e11\n";
        StageConfig sftConfig = TinyStages.load(dir, "sft", sftYaml);
        TrainingRun.Result sft = TrainingRun.run(sftConfig, ResumeRequest.auto(), SingleProcess::new, null);
        SentencePieceTokenizer tokenizer = SentencePieceTokenizer.load(TinyStages.TOKENIZER);
        DataLoader loader = new DataLoader(TrainingData.build(sftConfig, tokenizer).train(), 5, true, 2, 2);
        List<Sample> first = loader.microBatches(0, 0, 1).get(0);
        TokenBatch firstBatch = TokenBatch.of(first);
        double cptLoss = fromCheckpoint.loss(firstBatch) / firstBatch.trainedTokens();
        assertEquals(cptLoss, TinyStages.losses(sftOut).get(0), 1e-9 * cptLoss);

        // feedback-sft from the sft stage's checkpoint directory, mixing dialogues back in
        Path fbOut = dir.resolve("feedback");
        String fbYaml = "stage: feedback-sft\nrun:\n  name: fb\n  output_dir: " + fbOut + "\n  seed: 6\n"
                + "model:\n  init: " + sft.lastCheckpoint().dir() + "\n"
                + "tokenizer:\n  path: " + TinyStages.TOKENIZER + "\n"
                + "data:\n  seq_len: 64\n  cache_dir: " + cache + "\n  chat_template: taiwan-llm\n  overlong: truncate\n"
                + "  feedback:\n    sft_mix_ratio: 0.25\n"
                + "  sources:\n    - path: " + TinyStages.FIXTURES.resolve("feedback/zh-tw-feedback.jsonl") + "\n      format: feedback\n"
                + "    - path: " + TinyStages.FIXTURES.resolve("dialogues/zh-tw-dialogues.jsonl") + "\n      format: chat\n"
                + TinyStages.training(2, 2, 1, "1.0e-3", 1)
                + "checkpoint:\n  save_steps: 0\n"
                + "device:\n  backend: cpu\n  peak_flops: 1.0e11\n";
        TrainingRun.Result fb = TrainingRun.run(TinyStages.load(dir, "fb", fbYaml), ResumeRequest.auto(), SingleProcess::new, null);
        List<Double> fbLosses = TinyStages.losses(fbOut);
        assertEquals(2, fbLosses.size());
        assertTrue(fbLosses.stream().allMatch(Double::isFinite), fbLosses.toString());
        assertTrue(Checkpoint.isCheckpoint(fb.lastCheckpoint().dir()));
        assertTrue(Files.isRegularFile(fb.finalModel().resolve("model.safetensors")));
    }

    @Test
    void gradientCheckpointingRepeatsTheTinyCptRunsLossesExactly(@TempDir Path dir) throws Exception {
        Path repo = TinyStages.FIXTURES.getParent();
        List<List<Double>> losses = new ArrayList<>();
        List<byte[]> weights = new ArrayList<>();
        for (String checkpointing : List.of("false", "true")) {
            Path out = dir.resolve("checkpointing-" + checkpointing);
            // the shipped model and data, but 20 steps of one sample of 64 tokens (quick) and one checkpoint at the end
            StageConfig config = StageConfigLoader.load(repo.resolve("configs/tiny/cpt.yaml"), List.of("run.output_dir=" + out,
                    "data.cache_dir=" + dir.resolve("cache"), "data.seq_len=64", "training.max_steps=20",
                    "training.per_device_train_batch_size=1",
                    "checkpoint.save_steps=0", "device.peak_flops=1.0e11", "training.gradient_checkpointing=" + checkpointing), repo);
            TrainingRun.run(config, ResumeRequest.never(), SingleProcess::new, null);
            losses.add(TinyStages.losses(out));
            weights.add(Files.readAllBytes(out.resolve("final/model.safetensors")));
        }
        assertEquals(20, losses.get(0).size());
        assertEquals(losses.get(0), losses.get(1), "per-step losses without and with gradient checkpointing");
        assertArrayEquals(weights.get(0), weights.get(1), "final weights");
    }

    @Test
    void aTokenizerThatDoesNotFitTheModelIsRefusedBeforeTraining(@TempDir Path dir) throws Exception {
        String yaml = TinyStages.cpt(dir.resolve("out"), cache, corpus, 2, 0).replace("vocab_size: 8000", "vocab_size: 7000");
        ConfigException e = assertThrows(ConfigException.class,
                () -> TrainingRun.run(TinyStages.load(dir, "vocab", yaml), ResumeRequest.auto(), SingleProcess::new, null));
        assertTrue(e.getMessage().contains("8000") && e.getMessage().contains("7000"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("out/metrics.jsonl")));
    }

    @Test
    void settingsTheEngineDoesNotCarryOutAreRefusedBeforeTraining(@TempDir Path dir) throws Exception {
        String yaml = TinyStages.cpt(dir.resolve("out"), cache, corpus, 2, 0);
        ConfigException e = assertThrows(ConfigException.class, () -> TrainingRun.run(TinyStages.load(dir, "bf16", yaml,
                        "training.precision=bf16", "device.backend=cuda"),
                ResumeRequest.auto(), SingleProcess::new, null));
        assertEquals(List.of(
                "training.precision: bf16 is not implemented yet; twllm trains in fp32 (ND4J's CPU backend computes"
                        + " BF16/FP16 matrix products incorrectly); set training.precision: fp32",
                "device.backend: cuda, but this build carries ND4J's CPU backend; rebuild with"
                        + " `mvn -Pcuda -DskipTests package` or set device.backend: cpu"), e.problems());
        assertFalse(Files.exists(dir.resolve("out")));
    }
}
