package org.twllm.core.config;

/**
 * @param level   log level of twllm's own loggers
 * @param console print the progress line and logs to the console (metrics.jsonl is always written)
 */
public record LoggingConfig(Level level, boolean console) {

    public enum Level {
        TRACE, DEBUG, INFO, WARN, ERROR;

        public String yamlName() {
            return YamlEnum.name(this);
        }
    }
}
