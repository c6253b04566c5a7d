package org.twllm.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Defaults, the resolved YAML round trip, and the resume fingerprint. */
class ConfigDefaultsTest {
    @TempDir
    Path dir;
    ConfigFiles files;

    @BeforeEach
    void setUp() {
        files = new ConfigFiles(dir);
    }

    @Test
    void defaultsAreFilledIn() {
        StageConfig c = files.load(ConfigFiles.MINIMAL);
        assertEquals(Stage.CPT, c.stage());
        assertEquals(new RunConfig("t", dir.resolve("out"), 42), c.run());
        assertTrue(c.model().isRandomInit());
        assertEquals(new ModelArchitecture(64, 128, 2, 4, 4, 8000, 64, 1e-5, 10000.0, false, 0.02), c.model().architecture());
        assertEquals(new TokenizerConfig(ConfigFiles.TOKENIZER), c.tokenizer());
        DataConfig d = c.data();
        assertTrue(d.shuffle());
        assertEquals(List.of(new SourceConfig("tang-poems.zh-Hant", ConfigFiles.CORPUS, 1.0, SourceConfig.Format.AUTO, "text")),
                d.sources());
        assertEquals(List.of(), d.validationSources());
        assertEquals(DataConfig.ChatTemplate.TAIWAN_LLM, d.chatTemplate());
        assertNull(d.systemPrompt());
        assertNull(d.customTemplate());
        assertEquals(DataConfig.Overlong.DROP, d.overlong());
        assertEquals(new FilterConfig(FilterConfig.Script.KEEP_TRADITIONAL, true, 0, 0), d.filters());
        assertEquals(new FeedbackConfig("rating", 1.0, 0.0), d.feedback());
        assertEquals(dir.resolve("out/data"), d.cacheDir());
        assertEquals(new TrainingConfig(10, 1, 1, 1e-3, TrainingConfig.LrScheduler.COSINE, 0, 0.0, 0.0, 1.0, 0.9, 0.999,
                1e-8, 0.0, TrainingConfig.Precision.FP32, false, TrainingConfig.NanPolicy.STOP, 0, 64, 1), c.training());
        assertEquals(new CheckpointConfig(0, 3, CheckpointConfig.Resume.AUTO), c.checkpoint());
        assertEquals(new DistributedConfig(1, 2, 25, new TransportConfig(TransportConfig.MediaDriver.EMBEDDED, null,
                TransportConfig.Channel.AUTO, 40123, 65504, 16, 2048, 2000, 30)), c.distributed());
        assertEquals(new DeviceConfig(DeviceConfig.Backend.CPU, null), c.device());
        assertEquals(new LoggingConfig(LoggingConfig.Level.INFO, true), c.logging());
        assertEquals(1, c.globalBatchSize());
    }

    @Test
    void scriptFilterIsOffOutsideCpt() {
        String sft = ConfigFiles.MINIMAL.replace("stage: cpt", "stage: sft")
                .replace(ConfigFiles.CORPUS.toString(), ConfigFiles.FIXTURES.resolve("dialogues/zh-tw-dialogues.jsonl").toString());
        assertEquals(FilterConfig.Script.OFF, files.load(sft).data().filters().script());
    }

    @Test
    void warmupRatioBecomesStepsRoundedUp() {
        StageConfig c = files.load(ConfigFiles.MINIMAL, "training.warmup_ratio=0.15");
        assertEquals(2, c.training().effectiveWarmupSteps());
    }

    @Test
    void resolvedYamlLoadsBackToTheSameConfig() {
        StageConfig c = files.load(ConfigFiles.MINIMAL, "training.global_batch_size=4", "distributed.world_size=2",
                "device.peak_flops=1.5e12", "distributed.transport.aeron_dir=aeron");
        StageConfig again = files.load(c.toYaml());
        assertEquals(c, again);
        assertEquals(c.toYaml(), again.toYaml());
        assertTrue(c.toYaml().contains("  global_batch_size: 4\n"), c.toYaml());
    }

    @Test
    void fingerprintIgnoresKeyOrderAndResumeSafeFields() {
        String fingerprint = files.load(ConfigFiles.MINIMAL).fingerprint();
        assertTrue(fingerprint.matches("[0-9a-f]{64}"), fingerprint);
        String reordered = """
                training:
                  learning_rate: 1.0e-3
                  max_steps: 10
                data:
                  sources:
                    - path: CORPUS
                  seq_len: 32
                tokenizer:
                  path: TOKENIZER
                model:
                  max_position_embeddings: 64
                  num_attention_heads: 4
                  num_hidden_layers: 2
                  intermediate_size: 128
                  hidden_size: 64
                  init: random
                run:
                  output_dir: out
                  name: t
                stage: cpt
                """.replace("TOKENIZER", ConfigFiles.TOKENIZER.toString()).replace("CORPUS", ConfigFiles.CORPUS.toString());
        assertEquals(fingerprint, files.load(reordered).fingerprint());
        for (String safe : List.of("training.max_steps=500", "training.eval_steps=0", "checkpoint.save_steps=5",
                "checkpoint.resume=never", "logging.level=debug", "run.output_dir=elsewhere",
                "distributed.transport.port_base=50000", "data.cache_dir=cache", "run.name=other",
                "training.logging_steps=7", "training.eval_max_samples=3", "device.peak_flops=1e12")) {
            assertEquals(fingerprint, files.load(ConfigFiles.MINIMAL, safe).fingerprint(), safe);
        }
        for (String changed : List.of("training.learning_rate=2e-3", "run.seed=1", "data.sources.0.weight=2",
                "data.seq_len=16", "training.per_device_train_batch_size=2", "model.rope_theta=500000")) {
            assertNotEquals(fingerprint, files.load(ConfigFiles.MINIMAL, changed).fingerprint(), changed);
        }
    }

    @Test
    void theJobFingerprintCoversEveryKeySoAllRanksRunOneConfig() {
        StageConfig base = files.load(ConfigFiles.MINIMAL);
        assertEquals(base.jobFingerprint(), files.load(ConfigFiles.MINIMAL).jobFingerprint());
        for (String changed : List.of("training.max_steps=500", "training.logging_steps=7", "checkpoint.save_steps=5")) {
            StageConfig other = files.load(ConfigFiles.MINIMAL, changed);
            assertEquals(base.fingerprint(), other.fingerprint(), changed);
            assertNotEquals(base.jobFingerprint(), other.jobFingerprint(), changed);
        }
    }

    @Test
    void fingerprintSurvivesAWorldSizeChangeWithTheSameGlobalBatch() {
        String fourRanks = files.load(ConfigFiles.MINIMAL, "training.global_batch_size=8", "distributed.world_size=4")
                .fingerprint();
        StageConfig twoRanks = files.load(ConfigFiles.MINIMAL, "training.global_batch_size=8", "distributed.world_size=2");
        assertEquals(4, twoRanks.training().gradientAccumulationSteps());
        assertEquals(fourRanks, twoRanks.fingerprint());
        assertFalse(fourRanks.equals(files.load(ConfigFiles.MINIMAL, "training.global_batch_size=16").fingerprint()));
    }

    @Test
    void parameterCountMatchesTheLlamaFormula() {
        // embed 8000x64 + 2 x (q,o 64x64 + k,v 64x64 + mlp 3x64x128 + 2 norms) + final norm + lm_head 8000x64
        long perLayer = 2 * 64 * 64 + 2 * 64 * 64 + 3 * 64 * 128 + 2 * 64;
        assertEquals(2L * 8000 * 64 + 2 * perLayer + 64, files.load(ConfigFiles.MINIMAL).model().architecture().parameterCount());
        ModelArchitecture gqa = files.load(ConfigFiles.MINIMAL, "model.num_key_value_heads=2",
                "model.tie_word_embeddings=true").model().architecture();
        long gqaLayer = 2 * 64 * 64 + 2 * 64 * 32 + 3 * 64 * 128 + 2 * 64;
        assertEquals(8000L * 64 + 2 * gqaLayer + 64, gqa.parameterCount());
    }
}
