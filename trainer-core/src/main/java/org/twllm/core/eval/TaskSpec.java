package org.twllm.core.eval;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.twllm.errors.ConfigException;

/**
 * One task to run: its kind, the JSONL file and the name results are reported under (the file name
 * without extension, e.g. {@code drcd} for {@code drcd.jsonl}).
 */
public record TaskSpec(String name, TaskKind kind, Path file) {

    /**
     * Parses {@code qa=FILE,mc=FILE,...} (as {@code --tasks} takes it); a kind may repeat with different
     * files. Names must be unique; {@code NAME:KIND=FILE} sets one explicitly.
     */
    public static List<TaskSpec> parseList(String spec) {
        List<TaskSpec> tasks = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (String item : spec.split(",")) {
            String entry = item.strip();
            if (entry.isEmpty()) {
                continue;
            }
            int eq = entry.indexOf('=');
            if (eq <= 0 || eq == entry.length() - 1) {
                throw new ConfigException("task '" + entry + "' must be KIND=FILE (kinds: qa, mc, summarization, perplexity), e.g. qa=drcd.jsonl");
            }
            String key = entry.substring(0, eq);
            Path file = Path.of(entry.substring(eq + 1));
            int colon = key.indexOf(':');
            TaskKind kind = TaskKind.byKey(colon < 0 ? key : key.substring(colon + 1));
            String name = colon < 0 ? stem(file) : key.substring(0, colon);
            if (!names.add(name)) {
                throw new ConfigException("two tasks are named '" + name + "': name one explicitly as NAME:KIND=FILE");
            }
            tasks.add(new TaskSpec(name, kind, file));
        }
        if (tasks.isEmpty()) {
            throw new ConfigException("no tasks given: pass --tasks qa=FILE,mc=FILE,...");
        }
        return tasks;
    }

    private static String stem(Path file) {
        String name = file.getFileName().toString();
        int dot = name.indexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }
}
