package org.twllm.core.config;

import java.util.ArrayList;
import java.util.List;

/** Problems (the config cannot be used) and warnings (it can), each a full located sentence. */
final class Problems {
    private final List<String> problems = new ArrayList<>();
    private final List<String> warnings = new ArrayList<>();

    void add(Origin origin, String keyPath, String message) {
        problems.add(origin.describe(keyPath) + ": " + message);
    }

    void warn(Origin origin, String keyPath, String message) {
        warnings.add(origin.describe(keyPath) + ": " + message);
    }

    boolean isEmpty() {
        return problems.isEmpty();
    }

    List<String> problems() {
        return List.copyOf(problems);
    }

    List<String> warnings() {
        return List.copyOf(warnings);
    }
}
