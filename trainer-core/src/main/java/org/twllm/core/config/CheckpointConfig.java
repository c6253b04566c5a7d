package org.twllm.core.config;

/** When checkpoints are saved, and whether a run resumes ({@code checkpoint:}). */
public record CheckpointConfig(Values values) implements ConfigSection {
    static final KeyTable<CheckpointConfig> KEYS = new KeyTable<>(CheckpointConfig::new);

    public static final Key<Integer> SAVE_STEPS = KEYS.key("save_steps", ValueTypes.integer(0)).byDefault(0)
            .doc("save a checkpoint every N steps; 0 = only at the end");
    public static final Key<Integer> SAVE_TOTAL_LIMIT = KEYS.key("save_total_limit", ValueTypes.integer(0)).byDefault(3)
            .doc("keep the newest K checkpoints; 0 = keep all");
    public static final Key<Resume> RESUME = KEYS.key("resume", ValueTypes.oneOf(Resume.class)).byDefault(Resume.AUTO)
            .doc("`auto` continues from the newest checkpoint in `run.output_dir`; `never` starts fresh"
                    + " (`twllm train --resume` overrides)");

    public CheckpointConfig {
        KEYS.requireOwn(values);
    }

    /** A checkpoint section built key by key (tests). */
    public static ConfigBuilder<CheckpointConfig> builder() {
        return KEYS.builder();
    }

    public int saveSteps() {
        return values.get(SAVE_STEPS);
    }

    public int saveTotalLimit() {
        return values.get(SAVE_TOTAL_LIMIT);
    }

    public Resume resume() {
        return values.get(RESUME);
    }

    public enum Resume implements YamlEnum {
        AUTO, NEVER
    }
}
