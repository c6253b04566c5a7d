package org.twllm.core.config;

/**
 * Corpus filters applied while tokenizing.
 *
 * @param script   Traditional-script filter: keep only Traditional documents, only count, or off
 * @param dedup    drop exact duplicate documents
 * @param minChars drop documents shorter than this (0 = no minimum)
 * @param maxChars drop documents longer than this (0 = no limit)
 */
public record FilterConfig(Script script, boolean dedup, int minChars, int maxChars) {

    public enum Script {
        KEEP_TRADITIONAL, COUNT_ONLY, OFF;

        public String yamlName() {
            return YamlEnum.name(this);
        }
    }
}
