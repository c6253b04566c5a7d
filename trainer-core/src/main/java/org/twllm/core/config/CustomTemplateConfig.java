package org.twllm.core.config;

/**
 * A user-defined chat template; each string contains {@code {content}} where the turn's text goes.
 * In the assistant string the part before {@code {content}} is prompt; the content, what follows it
 * and the EOS are trained. {@code systemFormat} is null when not given (allowed when no dialogue has a
 * system message and no system prompt is set).
 */
public record CustomTemplateConfig(String systemFormat, String userFormat, String assistantFormat) {
}
