package org.twllm.data.corpus;

import java.util.Locale;

import org.twllm.errors.ConfigException;

/** What the script filter does with documents that are mostly Simplified Chinese. */
public enum ScriptMode {
    /** Drop them (Taiwan-LLM trains on Traditional Chinese). */
    KEEP_TRADITIONAL,
    /** Keep them, but count them in the report. */
    COUNT_ONLY,
    /** Do not classify at all. */
    OFF;

    /** The flag and config spelling: {@code keep-traditional}, {@code count-only}, {@code off}. */
    public String id() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public static ScriptMode parse(String id) {
        for (ScriptMode m : values()) {
            if (m.id().equals(id)) {
                return m;
            }
        }
        throw new ConfigException("unknown script filter '" + id + "': use keep-traditional, count-only or off");
    }
}
