package org.twllm.core.config;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * One validated stage run, every path absolute and every default filled in.
 * Built by {@link StageConfigLoader}; immutable. Each section's keys are declared once, in its class.
 */
public record StageConfig(Values values) implements ConfigSection {
    static final KeyTable<StageConfig> KEYS = new KeyTable<>(StageConfig::new, ModelConfig::checkInitAndContext);

    public static final Key<Stage> STAGE = KEYS.key("stage", ValueTypes.oneOf(Stage.class)).required()
            .doc("which stage this config trains; `twllm train --stage` must match it");
    public static final Key<RunConfig> RUN = KEYS.key("run", ValueTypes.map(RunConfig.KEYS))
            .doc("what the run is called and where it writes");
    public static final Key<TokenizerConfig> TOKENIZER = KEYS.key("tokenizer", ValueTypes.map(TokenizerConfig.KEYS))
            .doc("the SentencePiece model");
    public static final Key<ModelConfig> MODEL = KEYS.key("model", ValueTypes.map(ModelConfig.KEYS))
            .doc("where the weights come from");
    public static final Key<DataConfig> DATA = KEYS.key("data", ValueTypes.map(DataConfig.KEYS))
            .doc("the training data");
    public static final Key<DistributedConfig> DISTRIBUTED = KEYS.key("distributed", ValueTypes.map(DistributedConfig.KEYS))
            .resumeSafe()
            .doc("ranks and the Aeron transport; the world size may change on resume");
    public static final Key<TrainingConfig> TRAINING = KEYS.key("training", ValueTypes.map(TrainingConfig.KEYS))
            .doc("optimisation settings");
    public static final Key<CheckpointConfig> CHECKPOINT = KEYS.key("checkpoint", ValueTypes.map(CheckpointConfig.KEYS))
            .resumeSafe()
            .doc("when checkpoints are saved, and resuming");
    public static final Key<DeviceConfig> DEVICE = KEYS.key("device", ValueTypes.map(DeviceConfig.KEYS)).resumeSafe()
            .doc("where tensors live");
    public static final Key<LoggingConfig> LOGGING = KEYS.key("logging", ValueTypes.map(LoggingConfig.KEYS)).resumeSafe()
            .doc("console and log level");

    /**
     * Keys (or maps, ending in '.') that a resumed run may change, from the keys declared resume-safe:
     * they do not alter what is trained, or only extend or re-slice it. The micro-batch and accumulation
     * steps matter only through training.global_batch_size, which is not safe, so a run may resume on
     * another world size. {@link #fingerprint()} leaves them out and resuming compares every other key.
     */
    public static final List<String> RESUME_SAFE_KEYS = ConfigSchema.resumeSafeKeys();

    public StageConfig {
        KEYS.requireOwn(values);
    }

    public Stage stage() {
        return values.get(STAGE);
    }

    public RunConfig run() {
        return values.get(RUN);
    }

    public ModelConfig model() {
        return values.get(MODEL);
    }

    public TokenizerConfig tokenizer() {
        return values.get(TOKENIZER);
    }

    public DataConfig data() {
        return values.get(DATA);
    }

    public TrainingConfig training() {
        return values.get(TRAINING);
    }

    public CheckpointConfig checkpoint() {
        return values.get(CHECKPOINT);
    }

    public DistributedConfig distributed() {
        return values.get(DISTRIBUTED);
    }

    public DeviceConfig device() {
        return values.get(DEVICE);
    }

    public LoggingConfig logging() {
        return values.get(LOGGING);
    }

    /** Samples per optimizer step with this config's world size. */
    public long globalBatchSize() {
        return training().globalBatchSize(distributed().worldSize());
    }

    /**
     * The resolved config as YAML, defaults included; loading it again gives an equal config.
     * {@code twllm config show} prints it and each run records it in its output directory.
     */
    public String toYaml() {
        return ConfigWriter.toYaml(this);
    }

    /** SHA-256 (hex) of the resolved config without the {@link #RESUME_SAFE_KEYS}. */
    public String fingerprint() {
        return sha256(ConfigWriter.fingerprintJson(this));
    }

    /**
     * SHA-256 (hex) of the whole resolved config: every rank of one job must run exactly this, so the
     * rendezvous compares it (ranks that differ even in max_steps would part ways mid-run).
     */
    public String jobFingerprint() {
        return sha256(toYaml());
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is always available", e);
        }
    }
}
