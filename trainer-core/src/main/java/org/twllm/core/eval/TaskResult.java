package org.twllm.core.eval;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The scores of one task: metric name to value (each a mean over the scored examples unless its name says
 * otherwise), plus what the model wrote for each example.
 *
 * @param examples examples scored
 * @param skipped  examples left out because their prompt does not fit the model's context
 */
public record TaskResult(String name, TaskKind kind, int examples, int skipped, Map<String, Double> metrics,
                         List<Prediction> predictions, double seconds) {

    public TaskResult {
        metrics = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
        predictions = List.copyOf(predictions);
    }

    /** What the model produced for one example and how it scored. */
    public record Prediction(String id, String output, Map<String, Double> scores) {
    }
}
