package org.twllm.core.config;

import java.util.Locale;

/**
 * Spelling of config enums in YAML: the constant's name in lower case with '-' for '_'
 * ({@code FEEDBACK_SFT} is written {@code feedback-sft}).
 */
public final class YamlEnum {
    private YamlEnum() {
    }

    public static String name(Enum<?> value) {
        return value.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** The constant spelled {@code text} in YAML, or null when there is none. */
    public static <E extends Enum<E>> E parse(Class<E> type, String text) {
        for (E e : type.getEnumConstants()) {
            if (name(e).equals(text)) {
                return e;
            }
        }
        return null;
    }
}
