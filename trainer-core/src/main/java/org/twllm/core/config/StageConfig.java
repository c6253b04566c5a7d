package org.twllm.core.config;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * One validated stage run, every path absolute and every default filled in.
 * Built by {@link StageConfigLoader}; immutable.
 */
public record StageConfig(
        Stage stage,
        RunConfig run,
        ModelConfig model,
        TokenizerConfig tokenizer,
        DataConfig data,
        TrainingConfig training,
        CheckpointConfig checkpoint,
        DistributedConfig distributed,
        DeviceConfig device,
        LoggingConfig logging) {

    /** Samples per optimizer step with this config's world size. */
    public long globalBatchSize() {
        return training.globalBatchSize(distributed.worldSize());
    }

    /**
     * The resolved config as YAML, defaults included; loading it again gives an equal config.
     * {@code twllm config show} prints it and each run records it in its output directory.
     */
    public String toYaml() {
        return StageConfigWriter.toYaml(this);
    }

    /**
     * Keys (or key prefixes ending in '.') that a resumed run may change: they do not alter what is
     * trained, or only extend or re-slice it. The micro-batch and accumulation steps matter only through
     * training.global_batch_size, which is not safe, so a run may resume on another world size.
     * {@link #fingerprint()} leaves them out and resuming compares every other key.
     */
    public static final List<String> RESUME_SAFE_KEYS = List.of(
            "run.output_dir",
            "run.name",
            "data.cache_dir",
            "training.max_steps",
            "training.eval_steps",
            "training.eval_max_samples",
            "training.logging_steps",
            "training.per_device_train_batch_size",
            "training.gradient_accumulation_steps",
            "checkpoint.",
            "logging.",
            "distributed.",
            "device.");

    /** SHA-256 (hex) of the resolved config without the {@link #RESUME_SAFE_KEYS}. */
    public String fingerprint() {
        return sha256(StageConfigWriter.fingerprintJson(this));
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
