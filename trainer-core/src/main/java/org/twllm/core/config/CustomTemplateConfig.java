package org.twllm.core.config;

/**
 * A user-defined chat template; each string contains {@code {content}} where the turn's text goes.
 * The assistant string is what is trained on (followed by EOS).
 */
public record CustomTemplateConfig(String systemFormat, String userFormat, String assistantFormat) {
}
