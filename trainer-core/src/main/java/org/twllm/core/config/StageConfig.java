package org.twllm.core.config;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

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
     * SHA-256 (hex) of the resolved config without the fields a resumed run may change:
     * training.max_steps, training.eval_steps, checkpoint.*, logging.*, distributed.*, run.output_dir
     * and data.cache_dir. The micro-batch and accumulation steps enter only through the global
     * batch size, so a run resumed on another world size with the same global batch matches.
     */
    public String fingerprint() {
        byte[] canonical = StageConfigWriter.fingerprintJson(this).getBytes(StandardCharsets.UTF_8);
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(canonical));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is always available", e);
        }
    }
}
