package org.twllm.core.config;

/** Corpus filters applied while tokenizing ({@code data.filters:}). */
public record FilterConfig(Values values) implements ConfigSection {
    static final KeyTable<FilterConfig> KEYS = new KeyTable<>(FilterConfig::new, FilterConfig::check);

    public static final Key<Script> SCRIPT = KEYS.key("script", ValueTypes.oneOf(Script.class))
            .derived("`keep-traditional` for cpt, `off` otherwise")
            .doc("keep only documents in Traditional characters, only count Simplified ones, or do nothing");
    public static final Key<Boolean> DEDUP = KEYS.key("dedup", ValueTypes.bool()).byDefault(true)
            .doc("drop exact duplicate documents");
    public static final Key<Integer> MIN_CHARS = KEYS.key("min_chars", ValueTypes.integer(0)).byDefault(0)
            .doc("drop documents shorter than this (0 = no minimum)");
    public static final Key<Integer> MAX_CHARS = KEYS.key("max_chars", ValueTypes.integer(0)).byDefault(0)
            .doc("drop documents longer than this (0 = no limit); if set, at least `min_chars`");

    public FilterConfig {
        KEYS.requireOwn(values);
    }

    public Script script() {
        return values.get(SCRIPT);
    }

    public boolean dedup() {
        return values.get(DEDUP);
    }

    public int minChars() {
        return values.get(MIN_CHARS);
    }

    public int maxChars() {
        return values.get(MAX_CHARS);
    }

    private static void check(Section s) {
        if (!s.has(SCRIPT)) {
            Stage stage = s.root().value(StageConfig.STAGE);
            s.set(SCRIPT, stage == Stage.CPT ? Script.KEEP_TRADITIONAL : Script.OFF);
        }
        Integer min = s.value(MIN_CHARS);
        Integer max = s.value(MAX_CHARS);
        if (min != null && max != null && max > 0 && max < min) {
            s.problem(MAX_CHARS, "is " + max + ", less than min_chars " + min + " (0 means no limit)");
        }
    }

    public enum Script implements YamlEnum {
        KEEP_TRADITIONAL, COUNT_ONLY, OFF
    }
}
