package org.twllm.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twllm.core.config.StageConfigLoader.FileChecks;
import org.twllm.errors.ConfigException;

/** One test per class of validation problem, each asserting the exact message and location. */
class ConfigValidationTest {
    @TempDir
    Path dir;
    ConfigFiles files;

    @BeforeEach
    void setUp() {
        files = new ConfigFiles(dir);
    }

    private static String edit(String from, String to) {
        if (!ConfigFiles.MINIMAL.contains(from)) {
            throw new IllegalArgumentException(from);
        }
        return ConfigFiles.MINIMAL.replace(from, to);
    }

    @Test
    void minimalConfigIsValid() {
        assertEquals(List.of(), files.problems(ConfigFiles.MINIMAL));
    }

    @Test
    void misspelledKeySuggestsTheNearestValidKey() {
        assertEquals(List.of("x.yaml:18:1: training.learning_rate: required key is missing",
                        "x.yaml:20:3: training.learning_rat: unknown key; did you mean training.learning_rate?"),
                files.problems(edit("  learning_rate: 1.0e-3", "  learning_rat: 1.0e-3")));
    }

    @Test
    void keyInTheWrongSectionSuggestsWhereItBelongs() {
        assertEquals(List.of("x.yaml:21:3: training.seq_len: unknown key; did you mean data.seq_len?"),
                files.problems(ConfigFiles.MINIMAL + "  seq_len: 64\n"));
    }

    @Test
    void unrelatedUnknownKeyListsTheValidKeys() {
        assertEquals(List.of("x.yaml:21:1: zzz: unknown key; valid keys are stage, run, tokenizer, model, data,"
                        + " distributed, training, checkpoint, device, logging"),
                files.problems(ConfigFiles.MINIMAL + "zzz: 1\n"));
    }

    @Test
    void wrongTypesAreNamed() {
        assertEquals(List.of("x.yaml:20:3: training.learning_rate: expected a number, got \"abc\""),
                files.problems(edit("learning_rate: 1.0e-3", "learning_rate: abc")));
        assertEquals(List.of("x.yaml:19:3: training.max_steps: expected an integer, got 1.5"),
                files.problems(edit("max_steps: 10", "max_steps: 1.5")));
        assertEquals(List.of("x.yaml:18:3: data.shuffle: expected true or false, got \"maybe\""),
                files.problems(edit("training:\n", "  shuffle: maybe\ntraining:\n")));
        assertEquals(List.of("x.yaml:2:1: run: expected a map of keys, got a list"),
                files.problems(edit("run:\n  name: t\n  output_dir: out\n", "run: [1, 2]\n")));
    }

    @Test
    void peakFlopsMustBeAPositiveNumber() {
        int line = ConfigFiles.MINIMAL.split("\n").length + 2;
        assertEquals(List.of("x.yaml:" + line + ":3: device.peak_flops: must be greater than 0, got 0"),
                files.problems(ConfigFiles.MINIMAL + "device:\n  peak_flops: 0\n"));
        assertEquals(List.of("x.yaml:" + line + ":3: device.peak_flops: must be greater than 0, got -1000000000000"),
                files.problems(ConfigFiles.MINIMAL + "device:\n  peak_flops: -1.0e12\n"));
        assertEquals(List.of("x.yaml:" + line + ":3: device.peak_flops: expected a number, got \"fast\""),
                files.problems(ConfigFiles.MINIMAL + "device:\n  peak_flops: fast\n"));
        assertEquals(List.of(), files.problems(ConfigFiles.MINIMAL + "device:\n  peak_flops: 1.5e12\n"));
    }

    @Test
    void outOfRangeValuesSayTheBound() {
        assertEquals(List.of("x.yaml:20:3: training.learning_rate: must be greater than 0, got -0.1"),
                files.problems(edit("learning_rate: 1.0e-3", "learning_rate: -0.1")));
        assertEquals(List.of("x.yaml:19:3: training.max_steps: must be at least 1, got 0"),
                files.problems(edit("max_steps: 10", "max_steps: 0")));
        assertEquals(List.of("x.yaml:21:3: training.adam_beta2: must be less than 1, got 1"),
                files.problems(ConfigFiles.MINIMAL + "  adam_beta2: 1.0\n"));
        assertEquals(List.of("x.yaml:21:3: training.min_lr: 0.01 is more than learning_rate 0.001"),
                files.problems(ConfigFiles.MINIMAL + "  min_lr: 0.01\n"));
    }

    @Test
    void onlyTrueAndFalseAreBooleansSoOffIsAName() {
        StageConfig c = files.load(ConfigFiles.MINIMAL.replace("  seq_len: 32\n", "  seq_len: 32\n  filters:\n    script: off\n"));
        assertEquals(FilterConfig.Script.OFF, c.data().filters().script());
        assertEquals(List.of("x.yaml:21:3: training.gradient_checkpointing: expected true or false, got \"yes\""),
                files.problems(ConfigFiles.MINIMAL + "  gradient_checkpointing: yes\n"));
        assertEquals(List.of("--set data.filters.script=false: expected one of keep-traditional, count-only, off, got false"),
                files.problems(ConfigFiles.MINIMAL, "data.filters.script=false"));
    }

    @Test
    void enumValuesListTheChoices() {
        assertEquals(List.of("x.yaml:21:3: training.lr_scheduler_type: expected one of cosine, linear, constant, got \"cosin\""),
                files.problems(ConfigFiles.MINIMAL + "  lr_scheduler_type: cosin\n"));
    }

    @Test
    void unknownStageListsTheStages() {
        assertEquals(List.of("x.yaml:1:1: stage: expected one of cpt, sft, feedback-sft, got \"pretrain\""),
                files.problems(edit("stage: cpt", "stage: pretrain")));
    }

    @Test
    void missingRequiredKeysPointAtTheirSection() {
        assertEquals(List.of("x.yaml:18:1: training.max_steps: required key is missing"),
                files.problems(edit("  max_steps: 10\n", "")));
        assertEquals(List.of("x.yaml:1:1: stage: required key is missing"),
                files.problems(edit("stage: cpt\n", "\n")));
    }

    @Test
    void missingInputFilesAreNamed() {
        Path missing = dir.resolve("nope.model");
        assertEquals(List.of("x.yaml:13:3: tokenizer.path: no such file: " + missing + " (a SentencePiece .model file)"),
                files.problems(edit(ConfigFiles.TOKENIZER.toString(), "nope.model")));
        assertEquals(List.of("x.yaml:17:7: data.sources.0.path: no such file: " + dir.resolve("corpus.jsonl")),
                files.problems(edit(ConfigFiles.CORPUS.toString(), "corpus.jsonl")));
    }

    @Test
    void sourcesMayBeGlobsAndFoldersAndFormatParquetNeedsParquetFiles() throws Exception {
        Files.createDirectories(dir.resolve("corpus"));
        Files.writeString(dir.resolve("corpus/a.jsonl"), "{\"text\": \"一\"}\n");
        Files.writeString(dir.resolve("corpus/b.parquet"), "PAR1");
        assertEquals(List.of(), files.problems(edit(ConfigFiles.CORPUS.toString(), "corpus/*.jsonl")));
        assertEquals(List.of(), files.problems(edit(ConfigFiles.CORPUS.toString(), "corpus")));
        assertEquals(List.of("x.yaml:17:7: data.sources.0.path: glob " + dir.resolve("corpus/*.txt")
                        + " matches no files: check the pattern (relative patterns are taken from the config file's folder,"
                        + " or the current folder for --source)"),
                files.problems(edit(ConfigFiles.CORPUS.toString(), "corpus/*.txt")));
        assertEquals(List.of(), files.problems(edit(ConfigFiles.CORPUS.toString(), "corpus/*.parquet\n      format: parquet")));
        assertEquals(List.of("x.yaml:17:7: data.sources.0.path: " + dir.resolve("corpus/a.jsonl")
                        + " is not a .parquet file; format parquet reads Parquet files (or use format auto)"),
                files.problems(edit(ConfigFiles.CORPUS.toString(), "corpus\n      format: parquet")));
        StageConfig sft = files.load(edit(ConfigFiles.CORPUS.toString(), "corpus/*.parquet\n      messages_field: dialog")
                .replace("stage: cpt", "stage: sft"));
        assertEquals("dialog", sft.data().sources().get(0).messagesField());
        assertTrue(sft.toYaml().contains("messages_field: dialog"), sft.toYaml());
        // Unset, it is not written: configs recorded before the key existed resume and keep their fingerprint.
        StageConfig plain = files.load(edit(ConfigFiles.CORPUS.toString(), "corpus/*.parquet").replace("stage: cpt", "stage: sft"));
        assertNull(plain.data().sources().get(0).messagesField());
        assertFalse(plain.toYaml().contains("messages_field"), plain.toYaml());
    }

    @Test
    void tokenizerThatIsNotASentencePieceModelIsReported() throws Exception {
        Files.writeString(dir.resolve("bad.model"), "hello");
        assertEquals(List.of("x.yaml:13:3: tokenizer.path: " + dir.resolve("bad.model")
                        + " is not a SentencePiece model (protobuf wire type 4)"),
                files.problems(edit(ConfigFiles.TOKENIZER.toString(), "bad.model")));
    }

    private static final String PATH_INIT = ConfigFiles.MINIMAL.replace("""
              init: random
              hidden_size: 64
              intermediate_size: 128
              num_hidden_layers: 2
              num_attention_heads: 4
              max_position_embeddings: 64
            """, "  init: runs/prev/final\n");

    @Test
    void missingInitIsAProblemForTrainingButAWarningForValidate() {
        Path init = dir.resolve("runs/prev/final");
        files.write("x.yaml", PATH_INIT);
        ConfigException e = assertThrows(ConfigException.class,
                () -> StageConfigLoader.load(Path.of("x.yaml"), List.of(), dir));
        assertEquals(List.of("x.yaml:6:3: model.init: no such directory: " + init
                + "; put the HF Llama base model there first, or point model.init at an HF Llama directory"), e.problems());

        ConfigValidation v = StageConfigLoader.validate(Path.of("x.yaml"), List.of(), dir,
                FileChecks.MISSING_INIT_IS_WARNING);
        assertEquals(List.of(), v.problems());
        assertEquals(List.of("x.yaml:6:3: model.init: runs/prev/final does not exist yet; put the HF Llama base model there first"),
                v.warnings());
        assertEquals(init, v.config().model().init());

        files.write("x.yaml", PATH_INIT.replace("stage: cpt", "stage: sft").replace(
                "    - path: " + ConfigFiles.CORPUS, "    - path: " + ConfigFiles.FIXTURES.resolve("dialogues/zh-tw-dialogues.jsonl")));
        v = StageConfigLoader.validate(Path.of("x.yaml"), List.of(), dir, FileChecks.MISSING_INIT_IS_WARNING);
        assertEquals(List.of("x.yaml:6:3: model.init: runs/prev/final does not exist yet; run the cpt stage first"),
                v.warnings());
    }

    @Test
    void initIsCheckedEvenWhenTheDataHasProblems() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> files.load(PATH_INIT.replace(ConfigFiles.CORPUS.toString(), "none.jsonl")));
        assertEquals(List.of("x.yaml:12:7: data.sources.0.path: no such file: " + dir.resolve("none.jsonl"),
                "x.yaml:6:3: model.init: no such directory: " + dir.resolve("runs/prev/final")
                        + "; put the HF Llama base model there first, or point model.init at an HF Llama directory"),
                e.problems());
    }

    @Test
    void initDirectoryIsCheckedAgainstItsConfigJson() throws Exception {
        Path init = Files.createDirectories(dir.resolve("runs/prev/final"));
        assertEquals(List.of("x.yaml:6:3: model.init: " + init
                        + " has no config.json; expected an HF Llama directory or a twllm checkpoint"),
                files.problems(PATH_INIT));
        Files.writeString(init.resolve("config.json"), "{\"max_position_embeddings\": 16, \"vocab_size\": 8000}");
        assertEquals(List.of("x.yaml:10:3: data.seq_len: 32 is more than the model's max_position_embeddings 16 (from "
                        + init.resolve("config.json") + ")"),
                files.problems(PATH_INIT));
        Files.writeString(init.resolve("config.json"), "{\"max_position_embeddings\": 64, \"vocab_size\": 100}");
        assertEquals(List.of("x.yaml:6:3: model.init: the model's vocab_size 100 (" + init.resolve("config.json")
                        + ") is smaller than the tokenizer's vocabulary (8000 pieces)"),
                files.problems(PATH_INIT));
        Files.writeString(init.resolve("config.json"), "{\"vocab_size\": 8000}");
        assertEquals(List.of("x.yaml:6:3: model.init: " + init.resolve("config.json")
                        + " cannot be used: has no positive integer max_position_embeddings"),
                files.problems(PATH_INIT));
        Files.writeString(init.resolve("config.json"), "{\"max_position_embeddings\": 64, \"vocab_size\": 8000}");
        assertEquals(List.of(), files.problems(PATH_INIT));
        assertEquals(List.of("x.yaml:7:3: model.hidden_size: not allowed when model.init is a path; the model's config.json decides"),
                files.problems(PATH_INIT.replace("  init: runs/prev/final\n", "  init: runs/prev/final\n  hidden_size: 64\n")));
    }

    @Test
    void seqLenAboveTheContextIsReported() {
        assertEquals(List.of("x.yaml:15:3: data.seq_len: 128 is more than the model's max_position_embeddings 64"
                        + " (model.max_position_embeddings)"),
                files.problems(edit("seq_len: 32", "seq_len: 128")));
    }

    @Test
    void architectureMustBeConsistent() {
        assertEquals(List.of("x.yaml:12:3: model.num_key_value_heads: must divide num_attention_heads 4, got 3"),
                files.problems(edit("  max_position_embeddings: 64\n", "  max_position_embeddings: 64\n  num_key_value_heads: 3\n")));
        assertEquals(List.of("x.yaml:10:3: model.num_attention_heads: hidden_size 64 is not divisible by num_attention_heads 5"),
                files.problems(edit("num_attention_heads: 4", "num_attention_heads: 5")));
        assertEquals(List.of("x.yaml:12:3: model.vocab_size: 100 is smaller than the tokenizer's vocabulary (8000 pieces)"),
                files.problems(edit("  max_position_embeddings: 64\n", "  max_position_embeddings: 64\n  vocab_size: 100\n")));
    }

    @Test
    void globalBatchMustFactorIntoMicroBatchAccumulationAndWorldSize() {
        String config = ConfigFiles.MINIMAL + "  per_device_train_batch_size: 4\n" + "distributed:\n  world_size: 2\n";
        assertEquals(List.of("x.yaml:21:3: training.global_batch_size: 20 is not divisible by per_device_train_batch_size 4"
                        + " x distributed.world_size 2 = 8"),
                files.problems(config.replace("  per_device", "  global_batch_size: 20\n  per_device")));
        assertEquals(List.of("x.yaml:21:3: training.global_batch_size: 32 does not equal per_device_train_batch_size 4"
                        + " x gradient_accumulation_steps 2 x distributed.world_size 2 = 16; drop one of them"),
                files.problems(config.replace("  per_device", "  global_batch_size: 32\n  gradient_accumulation_steps: 2\n  per_device")));
        StageConfig derived = files.load(config.replace("  per_device", "  global_batch_size: 32\n  per_device"));
        assertEquals(4, derived.training().gradientAccumulationSteps());
        assertEquals(32, derived.training().globalBatchSize(2));
        assertEquals(64, derived.training().globalBatchSize(4));
    }

    @Test
    void transportSettingsFollowTheRulesALaunchNeeds() {
        String transport = ConfigFiles.MINIMAL + "distributed:\n  world_size: 2\n  transport:\n";
        assertEquals(List.of("x.yaml:24:5: distributed.transport.mtu: must be at least 4096, got 1024"),
                files.problems(transport + "    mtu: 1024\n"));
        assertEquals(List.of("x.yaml:24:5: distributed.transport.mtu: must be a multiple of 32 (Aeron's frame alignment),"
                        + " got 4100"),
                files.problems(transport + "    mtu: 4100\n"));
        assertEquals(List.of("x.yaml:24:5: distributed.transport.term_length_mb: must be a power of two (Aeron's term"
                        + " buffers), got 3"),
                files.problems(transport + "    term_length_mb: 3\n"));
        assertEquals(List.of("x.yaml:24:5: distributed.transport.liveness_timeout_ms: must be at least 500, got 100"),
                files.problems(transport + "    liveness_timeout_ms: 100\n"));
        assertEquals(List.of("x.yaml:25:5: distributed.transport.collective_timeout_s: 2 s is not longer than"
                        + " liveness_timeout_ms 2000; a collective must outlast the time a dead peer takes to be noticed"),
                files.problems(transport + "    liveness_timeout_ms: 2000\n    collective_timeout_s: 2\n"));
        assertEquals(List.of("x.yaml:24:5: distributed.transport.port_base: ports 65535..65536 for world_size 2 go past 65535"),
                files.problems(transport + "    port_base: 65535\n"));
        assertEquals(List.of(), files.problems(transport + "    mtu: 4096\n    liveness_timeout_ms: 500\n    collective_timeout_s: 1\n"));
    }

    @Test
    void zeroStageIsOneOfTheImplementedStages() {
        assertEquals(List.of("x.yaml:22:3: distributed.zero_stage: expected 0 (plain data parallel), 1 (sharded optimizer"
                        + " state, full local gradients) or 2 (sharded optimizer state and gradients), got 3"),
                files.problems(ConfigFiles.MINIMAL + "distributed:\n  zero_stage: 3\n"));
        assertEquals(List.of(), files.problems(ConfigFiles.MINIMAL + "distributed:\n  zero_stage: 1\n"));
    }

    @Test
    void warmupStepsAndRatioAreExclusive() {
        assertEquals(List.of("x.yaml:22:3: training.warmup_ratio: set warmup_steps or warmup_ratio, not both"),
                files.problems(ConfigFiles.MINIMAL + "  warmup_steps: 2\n  warmup_ratio: 0.1\n"));
    }

    @Test
    void sourceFormatMustFitTheStage() {
        assertEquals(List.of("x.yaml:18:7: data.sources.0.format: format chat does not fit the cpt stage"
                        + " (cpt reads auto, jsonl, text, parquet or shards)"),
                files.problems(edit("    - path: " + ConfigFiles.CORPUS + "\n",
                        "    - path: " + ConfigFiles.CORPUS + "\n      format: chat\n")));
    }

    @Test
    void customTemplateIsRequiredWithCustomAndChecked() {
        String sft = edit("stage: cpt", "stage: sft").replace("    - path: " + ConfigFiles.CORPUS + "\n",
                "    - path: " + ConfigFiles.FIXTURES.resolve("dialogues/zh-tw-dialogues.jsonl") + "\n  chat_template: custom\n");
        assertEquals(List.of("x.yaml:14:1: data.custom_template.user_format: required key is missing",
                        "x.yaml:14:1: data.custom_template.assistant_format: required key is missing"),
                files.problems(sft));
        String withTemplate = sft.replace("  chat_template: custom\n", """
                  chat_template: custom
                  custom_template:
                    system_format: "<<SYS>>{content}<</SYS>>"
                    user_format: "USER: {content}"
                    assistant_format: "ASSISTANT:"
                """);
        assertEquals(List.of("x.yaml:22:5: data.custom_template.assistant_format: must contain {content} where the turn's text goes"),
                files.problems(withTemplate));
        assertEquals(List.of(), files.problems(withTemplate.replace("ASSISTANT:", "ASSISTANT: {content}")));
        StageConfig noSystem = files.load(withTemplate.replace("ASSISTANT:", "ASSISTANT: {content}")
                .replace("    system_format: \"<<SYS>>{content}<</SYS>>\"\n", ""));
        assertEquals(CustomTemplateConfig.KEYS.builder().set(CustomTemplateConfig.USER_FORMAT, "USER: {content}")
                .set(CustomTemplateConfig.ASSISTANT_FORMAT, "ASSISTANT: {content}").build(), noSystem.data().customTemplate());
        assertEquals(noSystem, files.load(noSystem.toYaml()));
        assertEquals(List.of("x.yaml:19:3: data.custom_template: only used when data.chat_template is custom (it is taiwan-llm)"),
                files.problems(withTemplate.replace("chat_template: custom", "chat_template: taiwan-llm")));
    }

    @Test
    void evaluationNeedsValidationSources() {
        assertEquals(List.of("x.yaml:21:3: training.eval_steps: evaluation every 5 steps needs data.validation_sources"),
                files.problems(ConfigFiles.MINIMAL + "  eval_steps: 5\n"));
    }

    @Test
    void duplicateKeysAndBadYamlAreReportedWithTheirPlace() {
        assertEquals(List.of("x.yaml:21:3: training.max_steps: duplicate key; remove one of the two"),
                files.problems(ConfigFiles.MINIMAL + "  max_steps: 20\n"));
        List<String> syntax = files.problems(ConfigFiles.MINIMAL + "  bad: [1, 2\n");
        assertEquals(1, syntax.size());
        assertTrue(syntax.get(0).startsWith("x.yaml:21:13: not valid YAML: while parsing a flow sequence"), syntax.get(0));
        assertEquals(List.of("x.yaml:1:1: the top level must be a map of keys (stage, run, model, ...)"),
                files.problems("- just\n- a list\n"));
    }

    @Test
    void everyProblemIsReportedAtOnce() {
        String broken = edit("learning_rate: 1.0e-3", "learning_rate: -1")
                .replace("max_steps: 10", "max_steps: ten")
                .replace("seq_len: 32", "seq_len: 0")
                .replace("stage: cpt", "stage: cpt\nzero_stage: 2");
        List<String> problems = files.problems(broken);
        assertEquals(List.of(
                "x.yaml:16:3: data.seq_len: must be at least 1, got 0",
                "x.yaml:20:3: training.max_steps: expected an integer, got \"ten\"",
                "x.yaml:21:3: training.learning_rate: must be greater than 0, got -1",
                "x.yaml:2:1: zero_stage: unknown key; did you mean distributed.zero_stage?"), problems);
        ConfigException e = assertThrows(ConfigException.class, () -> files.load(broken));
        assertEquals(problems, e.problems());
    }

    @Test
    void problemsMakeNoConfig() {
        files.write("x.yaml", edit("max_steps: 10", "max_steps: 0"));
        assertNull(files.validate("x.yaml").config());
    }
}
