package org.twllm.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twllm.core.engine.LlamaConfig;

/** Defaults, the resolved YAML round trip, and the resume fingerprint. */
class ConfigDefaultsTest {
    @TempDir
    Path dir;
    ConfigFiles files;

    @BeforeEach
    void setUp() {
        files = new ConfigFiles(dir);
    }

    /** Every key of the minimal config as resolved: the given values, then every default, in table order. */
    private static final String MINIMAL_RESOLVED = """
            stage: cpt
            run:
              name: t
              output_dir: DIR/out
              seed: 42
            tokenizer:
              path: TOKENIZER
            model:
              init: random
              hidden_size: 64
              intermediate_size: 128
              num_hidden_layers: 2
              num_attention_heads: 4
              num_key_value_heads: 4
              vocab_size: 8000
              max_position_embeddings: 64
              rms_norm_eps: 1.0E-5
              rope_theta: 10000.0
              tie_word_embeddings: false
              initializer_range: 0.02
            data:
              seq_len: 32
              shuffle: true
              sources:
              - path: CORPUS
                name: tang-poems.zh-Hant
                weight: 1.0
                format: auto
                text_field: text
              validation_sources: []
              chat_template: taiwan-llm
              system_prompt: null
              overlong: drop
              filters:
                script: keep-traditional
                dedup: true
                min_chars: 0
                max_chars: 0
              feedback:
                rating_field: rating
                positive_threshold: 1.0
                sft_mix_ratio: 0.0
              cache_dir: DIR/out/data
            distributed:
              world_size: 1
              zero_stage: 2
              bucket_size_mb: 25
              transport:
                media_driver: embedded
                aeron_dir: null
                channel: auto
                port_base: 40123
                mtu: 65504
                term_length_mb: 16
                socket_buffer_kb: 2048
                liveness_timeout_ms: 2000
                collective_timeout_s: 30
            training:
              max_steps: 10
              per_device_train_batch_size: 1
              gradient_accumulation_steps: 1
              global_batch_size: 1
              learning_rate: 0.001
              lr_scheduler_type: cosine
              warmup_steps: 0
              warmup_ratio: 0.0
              min_lr: 0.0
              max_grad_norm: 1.0
              adam_beta1: 0.9
              adam_beta2: 0.999
              adam_epsilon: 1.0E-8
              weight_decay: 0.0
              precision: fp32
              gradient_checkpointing: false
              nan_policy: stop
              eval_steps: 0
              eval_max_samples: 64
              logging_steps: 1
            checkpoint:
              save_steps: 0
              save_total_limit: 3
              resume: auto
            device:
              backend: cpu
              peak_flops: null
            logging:
              level: info
              console: true
            """;

    @Test
    void defaultsAreFilledIn() {
        StageConfig c = files.load(ConfigFiles.MINIMAL);
        assertEquals(MINIMAL_RESOLVED.replace("DIR", dir.toString()).replace("TOKENIZER", ConfigFiles.TOKENIZER.toString())
                .replace("CORPUS", ConfigFiles.CORPUS.toString()), c.toYaml());
        assertEquals(Stage.CPT, c.stage());
        assertEquals(42, c.run().seed());
        assertTrue(c.model().isRandomInit());
        assertEquals(new LlamaConfig(64, 128, 2, 4, 4, 8000, 64, 1e-5, 10000.0, false), c.model().architecture());
        assertEquals(0.02, c.model().initializerRange());
        DataConfig d = c.data();
        assertEquals(List.of(), d.validationSources());
        assertEquals("tang-poems.zh-Hant", d.sources().get(0).name());
        assertEquals(SourceConfig.Format.AUTO, d.sources().get(0).format());
        assertNull(d.systemPrompt());
        assertNull(d.customTemplate());
        assertEquals(FilterConfig.Script.KEEP_TRADITIONAL, d.filters().script());
        assertEquals(dir.resolve("out/data"), d.cacheDir());
        assertEquals(TrainingConfig.LrScheduler.COSINE, c.training().lrSchedulerType());
        assertEquals(1e-8, c.training().adamEpsilon());
        assertEquals(CheckpointConfig.Resume.AUTO, c.checkpoint().resume());
        assertNull(c.distributed().transport().aeronDir());
        assertEquals(2000, c.distributed().transport().livenessTimeoutMs());
        assertNull(c.device().peakFlops());
        assertEquals(LoggingConfig.Level.INFO, c.logging().level());
        assertEquals(1, c.globalBatchSize());
    }

    @Test
    void sectionsAreBuiltByKeyWithTheSameDefaultsAndChecks() {
        assertEquals(files.load(ConfigFiles.MINIMAL).distributed().transport(), TransportConfig.defaults());
        TrainingConfig t = TrainingConfig.builder().set(TrainingConfig.MAX_STEPS, 10).set(TrainingConfig.LEARNING_RATE, 1e-3)
                .set(TrainingConfig.GLOBAL_BATCH_SIZE, 1L).build();
        assertEquals(files.load(ConfigFiles.MINIMAL).training(), t);
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> TrainingConfig.builder().set(TrainingConfig.MAX_STEPS, 0).build());
        assertEquals("(built in code):1:1: max_steps: must be at least 1, got 0; (built in code):1:1: learning_rate:"
                + " required key is missing", missing.getMessage());
        IllegalArgumentException rule = assertThrows(IllegalArgumentException.class,
                () -> TrainingConfig.builder().set(TrainingConfig.MAX_STEPS, 1).set(TrainingConfig.LEARNING_RATE, 1e-3)
                        .set(TrainingConfig.WARMUP_STEPS, 2).build());
        assertEquals("(built in code):1:1: warmup_steps: 2 is more than max_steps 1", rule.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TrainingConfig.builder().set(DataConfig.SEQ_LEN, 3));
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
        assertEquals(2L * 8000 * 64 + 2 * perLayer + 64, files.load(ConfigFiles.MINIMAL).model().architecture().numParameters());
        LlamaConfig gqa = files.load(ConfigFiles.MINIMAL, "model.num_key_value_heads=2",
                "model.tie_word_embeddings=true").model().architecture();
        long gqaLayer = 2 * 64 * 64 + 2 * 64 * 32 + 3 * 64 * 128 + 2 * 64;
        assertEquals(8000L * 64 + 2 * gqaLayer + 64, gqa.numParameters());
    }
}
