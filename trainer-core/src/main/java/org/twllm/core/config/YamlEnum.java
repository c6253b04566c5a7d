package org.twllm.core.config;

import java.util.Locale;

/**
 * A config enum, spelled in YAML as the constant's name in lower case with '-' for '_'
 * ({@code FEEDBACK_SFT} is written {@code feedback-sft}). Config enums implement it to get
 * {@link #yamlName()}; a new allowed name is a new constant.
 */
public interface YamlEnum {

    /** The constant's name as written in YAML. */
    default String yamlName() {
        return ((Enum<?>) this).name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** The constant spelled {@code text} in YAML, or null when there is none. */
    static <E extends Enum<E> & YamlEnum> E parse(Class<E> type, String text) {
        for (E e : type.getEnumConstants()) {
            if (e.yamlName().equals(text)) {
                return e;
            }
        }
        return null;
    }
}
