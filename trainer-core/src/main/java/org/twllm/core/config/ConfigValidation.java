package org.twllm.core.config;

import java.util.List;

/**
 * The outcome of validating a config without throwing.
 *
 * @param config   the validated config, or null when there are problems
 * @param problems every problem found, each {@code file:line:col: key.path: message}; empty when valid
 * @param warnings things that do not stop validation (e.g. a model.init made by an earlier stage
 *                 that has not run yet)
 */
public record ConfigValidation(StageConfig config, List<String> problems, List<String> warnings) {

    public ConfigValidation {
        problems = List.copyOf(problems);
        warnings = List.copyOf(warnings);
    }

    public boolean ok() {
        return problems.isEmpty();
    }
}
