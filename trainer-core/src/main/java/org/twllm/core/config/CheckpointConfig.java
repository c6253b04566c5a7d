package org.twllm.core.config;

/**
 * @param saveSteps      save every N steps, 0 = only at the end
 * @param saveTotalLimit keep the newest K checkpoints, 0 = keep all
 * @param resume         AUTO resumes from the newest checkpoint in the output dir; NEVER starts fresh
 */
public record CheckpointConfig(int saveSteps, int saveTotalLimit, Resume resume) {

    public enum Resume {
        AUTO, NEVER;

        public String yamlName() {
            return YamlEnum.name(this);
        }
    }
}
