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
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.LongStream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twllm.core.checkpoint.Checkpoint;
import org.twllm.core.checkpoint.CheckpointDirectory;
import org.twllm.core.checkpoint.ModelExport;
import org.twllm.core.config.StageConfig;
import org.twllm.core.config.StageConfigLoader;
import org.twllm.core.io.HfModelDirectory;
import org.twllm.core.engine.Engine;
import org.twllm.core.engine.cpu.TestEngines;
import org.twllm.core.engine.TokenBatch;
import org.twllm.core.tensorboard.EventFileDecoder;
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
        List<String> console = new ArrayList<>();
        TrainingRun.Result result = TrainingRun.run(wholeConfig, ResumeRequest.never(), SingleRank::new, console::add);
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
                ResumeRequest.auto(), SingleRank::new, line -> {
                    if (line.startsWith("step 5/")) {
                        throw new IllegalStateException("simulated crash");
                    }
                }));
        assertEquals("simulated crash", crash.getMessage());
        assertEquals(5, TinyStages.losses(crashed).size());
        List<String> resumedConsole = new ArrayList<>();
        TrainingRun.run(crashedConfig, ResumeRequest.auto(), SingleRank::new, resumedConsole::add);
        assertEquals(expected, TinyStages.losses(crashed), "per-step losses of the resumed run");
        assertEquals("twllm train: tiny-test, cpt stage, steps 4-8 (resuming after step 3 from " + crashed.resolve("checkpoint-00000003") + ")",
                resumedConsole.get(0));
        assertArrayEquals(Files.readAllBytes(whole.resolve("final/model.safetensors")),
                Files.readAllBytes(crashed.resolve("final/model.safetensors")), "final weights");
        theStartupSummaryOpensTheRun(console, whole, result);
        tensorBoardShowsEachStepOnceAfterTheResume(whole, crashed, expected);

        // A changed learning rate is refused with the key named; more steps are fine.
        ConfigException refused = assertThrows(ConfigException.class, () -> TrainingRun.run(
                TinyStages.load(dir, "changed", TinyStages.cpt(crashed, cache, corpus, 8, 3), "training.learning_rate=1.0e-3"),
                ResumeRequest.auto(), SingleRank::new, null));
        assertTrue(refused.getMessage().contains("training.learning_rate: 0.02 -> 0.001"), refused.getMessage());
        ConfigException never = assertThrows(ConfigException.class,
                () -> TrainingRun.run(crashedConfig, ResumeRequest.never(), SingleRank::new, null));
        assertTrue(never.getMessage().contains("checkpoint-00000008"), never.getMessage());
    }

    private static void theStartupSummaryOpensTheRun(List<String> console, Path out, TrainingRun.Result result) {
        assertEquals("twllm train: tiny-test, cpt stage, steps 1-8 (fresh start)", console.get(0));
        long parameters = HfModelDirectory.readConfig(result.finalModel()).numParameters();
        List<String> expected = List.of(
                String.format(java.util.Locale.ROOT, "  model        %,d parameters (2 layers, hidden 32, 4 heads / 2 kv heads, vocab 8,000)",
                        parameters),
                "  batch        64 tokens per step = 4 samples x 16 tokens (micro-batch 2 x accumulation 2 x world size 1)",
                "  device       peak 100.0 GFLOP/s per rank (device.peak_flops), for MFU",
                "  metrics      " + out.resolve("metrics.jsonl"),
                "  tensorboard  " + out.resolve("tensorboard") + "  (tensorboard --logdir " + out.resolve("tensorboard") + ")",
                "  checkpoints  " + out.resolve("checkpoint-NNNNNNNN") + ", every 3 steps and after the last, keeping the newest 3",
                "  final model  " + out.resolve("final"));
        for (String line : expected) {
            assertTrue(console.indexOf(line) > 0 && console.indexOf(line) < 12, "summary line " + line + " in " + console);
        }
        assertTrue(console.get(3).matches("  data         \\d+ training samples, \\d\\.\\d\\d epochs in 8 steps"), console.get(3));
        assertTrue(console.get(4).matches("  memory       estimated peak \\d+ MiB per process of .*; the largest micro-batch that fits is \\d+"),
                console.get(4));
        int step4 = console.indexOf(console.stream().filter(l -> l.startsWith("step 4/8 ")).findFirst().orElseThrow());
        assertTrue(console.get(step4 + 1).matches("  eta          \\S+ for the remaining 4 steps at \\S+ s/step \\(steps 2-4 timed\\),"
                + " done around \\d\\d:\\d\\d"), console.get(step4 + 1));
        assertEquals(1, console.stream().filter(l -> l.startsWith("  eta")).count());
    }

    /** The view TensorBoard builds from the event files: every step once, the resumed session's values replacing the crashed one's. */
    private static void tensorBoardShowsEachStepOnceAfterTheResume(Path whole, Path crashed, List<Double> losses) throws Exception {
        for (Path out : List.of(whole, crashed)) {
            List<Path> files = EventFileDecoder.files(out.resolve("tensorboard"));
            assertEquals(out == whole ? 1 : 2, files.size(), files.toString());
            Map<String, TreeMap<Long, List<Float>>> view = EventFileDecoder.scalarView(files);
            assertEquals(Set.of("tiny-test/loss", "tiny-test/lr", "tiny-test/grad_norm", "tiny-test/tokens_per_s", "tiny-test/mfu",
                    "tiny-test/skipped_steps"), view.keySet());
            for (TreeMap<Long, List<Float>> points : view.values()) {
                assertEquals(LongStream.rangeClosed(1, 8).boxed().toList(), new ArrayList<>(points.keySet()));
                assertTrue(points.values().stream().allMatch(v -> v.size() == 1), "one point per step: " + points);
            }
            for (int step = 1; step <= 8; step++) {
                assertEquals(losses.get(step - 1).floatValue(), view.get("tiny-test/loss").get((long) step).get(0), "loss at step " + step);
            }
        }
        // The crashed session logged steps 1-5; the resumed one opens a new file with START at step 4 and the config.
        List<Path> files = EventFileDecoder.files(crashed.resolve("tensorboard"));
        assertEquals(5, EventFileDecoder.scalarView(files.subList(0, 1)).get("tiny-test/loss").size());
        List<EventFileDecoder.Event> resumed = EventFileDecoder.read(files.get(1));
        assertEquals("brain.Event:2", resumed.get(0).fileVersion());
        assertEquals(Integer.valueOf(1), resumed.get(1).sessionStatus());
        assertEquals(4, resumed.get(1).step());
        EventFileDecoder.Value config = resumed.get(2).values().get(0);
        assertEquals("tiny-test/config", config.tag());
        assertTrue(config.strings().get(0).startsWith("```yaml\nstage: cpt\n"), config.strings().get(0));
        assertEquals(4, resumed.get(3).step());
    }

    @Test
    void stagesChainAndTheExportLoadsWithIdenticalLogits(@TempDir Path dir) throws Exception {
        Path cptOut = dir.resolve("cpt");
        TrainingRun.Result cpt = TrainingRun.run(TinyStages.load(dir, "cpt", TinyStages.cpt(cptOut, cache, corpus, 2, 0)),
                ResumeRequest.auto(), SingleRank::new, null);

        // export round trip: the exported directory and the checkpoint give the same logits
        Path exported = dir.resolve("exported");
        ModelExport.export(cpt.lastCheckpoint(), exported);
        assertTrue(Files.isRegularFile(exported.resolve("tokenizer.model")));
        assertFalse(Files.exists(exported.resolve("trainer_state.json")));
        hfReady(exported, null);
        TokenBatch probe = TokenBatch.causal(new int[][] {{1, 50, 600, 7000, 3}}, new int[][] {{50, 600, 7000, 3, 2}});
        Engine fromCheckpoint = Checkpoint.loadModel(cpt.lastCheckpoint().dir());
        try (Engine fromExport = Checkpoint.loadModel(exported)) {
            float[][] checkpointLogits = TestEngines.logits(fromCheckpoint, probe);
            float[][] exportLogits = TestEngines.logits(fromExport, probe);
            for (int t = 0; t < checkpointLogits.length; t++) {
                assertArrayEquals(checkpointLogits[t], exportLogits[t], "position " + t);
            }
        }

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
        TrainingRun.Result sft = TrainingRun.run(sftConfig, ResumeRequest.auto(), SingleRank::new, null);
        String chatTemplate = TrainingDatasets.chatTemplate(sftConfig).hfChatTemplate();
        hfReady(sft.finalModel(), chatTemplate);
        hfReady(sft.lastCheckpoint().dir(), chatTemplate);
        SentencePieceTokenizer tokenizer = SentencePieceTokenizer.load(TinyStages.TOKENIZER);
        DataLoader loader = new DataLoader(TrainingDatasets.build(sftConfig, tokenizer).train(), 5, true, 2, 2);
        List<Sample> first = loader.microBatches(0, 0, 1).get(0);
        TokenBatch firstBatch = SampleBatches.of(first);
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
        TrainingRun.Result fb = TrainingRun.run(TinyStages.load(dir, "fb", fbYaml), ResumeRequest.auto(), SingleRank::new, null);
        List<Double> fbLosses = TinyStages.losses(fbOut);
        assertEquals(2, fbLosses.size());
        assertTrue(fbLosses.stream().allMatch(Double::isFinite), fbLosses.toString());
        assertTrue(Checkpoint.isCheckpoint(fb.lastCheckpoint().dir()));
        assertTrue(Files.isRegularFile(fb.finalModel().resolve("model.safetensors")));
    }

    /** The files HF's AutoModelForCausalLM, AutoTokenizer and generate read, with the keys they need. */
    private static void hfReady(Path dir, String chatTemplate) throws Exception {
        ObjectMapper json = new ObjectMapper();
        JsonNode config = json.readTree(dir.resolve("config.json").toFile());
        assertEquals("[\"LlamaForCausalLM\"]", config.get("architectures").toString());
        assertEquals("llama", config.get("model_type").asText());
        assertEquals("float32", config.get("torch_dtype").asText());
        JsonNode generation = json.readTree(dir.resolve("generation_config.json").toFile());
        assertEquals(1, generation.get("bos_token_id").asInt());
        assertEquals(2, generation.get("eos_token_id").asInt());
        assertFalse(generation.get("do_sample").asBoolean(), "twllm generate is greedy by default");
        assertEquals(256, generation.get("max_new_tokens").asInt());
        JsonNode tokenizer = json.readTree(dir.resolve("tokenizer_config.json").toFile());
        assertEquals("LlamaTokenizer", tokenizer.get("tokenizer_class").asText());
        assertEquals("<s>", tokenizer.get("bos_token").asText());
        assertEquals("</s>", tokenizer.get("eos_token").asText());
        assertEquals("<unk>", tokenizer.get("unk_token").asText());
        assertTrue(tokenizer.get("add_bos_token").asBoolean());
        assertTrue(tokenizer.get("legacy").asBoolean());
        assertEquals("</s>", tokenizer.get("added_tokens_decoder").get("2").get("content").asText());
        assertFalse(tokenizer.get("added_tokens_decoder").get("2").get("lstrip").asBoolean());
        assertEquals(chatTemplate, tokenizer.has("chat_template") ? tokenizer.get("chat_template").asText() : null);
        assertArrayEquals(Files.readAllBytes(TinyStages.TOKENIZER), Files.readAllBytes(dir.resolve("tokenizer.model")));
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
            TrainingRun.run(config, ResumeRequest.never(), SingleRank::new, null);
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
                () -> TrainingRun.run(TinyStages.load(dir, "vocab", yaml), ResumeRequest.auto(), SingleRank::new, null));
        assertTrue(e.getMessage().contains("8000") && e.getMessage().contains("7000"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("out/metrics.jsonl")));
    }

    @Test
    void settingsTheEngineDoesNotCarryOutAreRefusedBeforeTraining(@TempDir Path dir) throws Exception {
        String yaml = TinyStages.cpt(dir.resolve("out"), cache, corpus, 2, 0);
        ConfigException e = assertThrows(ConfigException.class, () -> TrainingRun.run(TinyStages.load(dir, "bf16", yaml,
                        "training.precision=bf16", "device.backend=cuda"),
                ResumeRequest.auto(), SingleRank::new, null));
        assertEquals(List.of(
                "training.precision: bf16 is not implemented yet; the CPU engine trains in fp32;"
                        + " set training.precision: fp32",
                "device.backend: cuda, but this build has no CUDA training engine yet; set device.backend: cpu"), e.problems());
        assertFalse(Files.exists(dir.resolve("out")));
    }
}
