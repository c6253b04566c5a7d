package org.twllm.core.config;

/** Console and log level ({@code logging:}); metrics.jsonl is always written. */
public record LoggingConfig(Values values) implements ConfigSection {
    static final KeyTable<LoggingConfig> KEYS = new KeyTable<>(LoggingConfig::new);

    public static final Key<Level> LEVEL = KEYS.key("level", ValueTypes.oneOf(Level.class)).byDefault(Level.INFO)
            .doc("log level of twllm's loggers");
    public static final Key<Boolean> CONSOLE = KEYS.key("console", ValueTypes.bool()).byDefault(true)
            .doc("print the progress line and logs to the console (`metrics.jsonl` is always written)");

    public LoggingConfig {
        KEYS.requireOwn(values);
    }

    public Level level() {
        return values.get(LEVEL);
    }

    public boolean console() {
        return values.get(CONSOLE);
    }

    public enum Level implements YamlEnum {
        TRACE, DEBUG, INFO, WARN, ERROR
    }
}
