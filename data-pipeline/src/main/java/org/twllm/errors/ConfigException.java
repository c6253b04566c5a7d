package org.twllm.errors;

import java.util.List;

/**
 * A problem with what the user asked for: a bad config value, a missing file, a wrong flag.
 * The CLI prints {@link #getMessage()} (every problem, one per line) and exits with code 2.
 */
public final class ConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final List<String> problems;

    public ConfigException(String problem) {
        this(List.of(problem));
    }

    public ConfigException(List<String> problems) {
        super(String.join("\n", problems));
        if (problems.isEmpty()) {
            throw new IllegalArgumentException("a ConfigException needs at least one problem");
        }
        this.problems = List.copyOf(problems);
    }

    /** Every problem found, each a full sentence naming the thing and what to do. */
    public List<String> problems() {
        return problems;
    }
}
