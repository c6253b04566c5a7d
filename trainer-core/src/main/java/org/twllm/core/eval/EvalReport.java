package org.twllm.core.eval;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.twllm.errors.TwllmException;
import org.twllm.files.AtomicFiles;

/**
 * Evaluation results as a JSON file and a console table. The JSON is
 * {@code {"model": ..., "prompt_format": ..., "tasks": {NAME: {"kind", "examples", "skipped", "seconds", "metrics": {...}}}}}
 * ("examples" scored, "skipped" too long for the context);
 * per-example outputs go to a JSONL file beside it when asked for.
 */
public final class EvalReport {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private EvalReport() {
    }

    public static JsonNode toJson(String model, String promptFormat, List<TaskResult> results) {
        ObjectNode root = JSON.createObjectNode();
        root.put("model", model);
        root.put("prompt_format", promptFormat);
        ObjectNode tasks = root.putObject("tasks");
        for (TaskResult r : results) {
            ObjectNode task = tasks.putObject(r.name());
            task.put("kind", r.kind().key());
            task.put("examples", r.examples());
            task.put("skipped", r.skipped());
            task.put("seconds", r.seconds());
            ObjectNode metrics = task.putObject("metrics");
            r.metrics().forEach(metrics::put);
        }
        return root;
    }

    /** Reads the metrics of a results file back: "TASK/METRIC" to value, in file order. */
    public static Map<String, Double> readMetrics(Path file) {
        try {
            JsonNode root = JSON.readTree(file.toFile());
            Map<String, Double> out = new LinkedHashMap<>();
            root.path("tasks").fields().forEachRemaining(task ->
                    task.getValue().path("metrics").fields().forEachRemaining(m ->
                            out.put(task.getKey() + "/" + m.getKey(), m.getValue().asDouble())));
            return out;
        } catch (IOException e) {
            throw new TwllmException("cannot read evaluation results " + file + ": " + e.getMessage(), e);
        }
    }

    public static void writeJson(Path file, String model, String promptFormat, List<TaskResult> results) {
        try {
            AtomicFiles.write(file, JSON.writeValueAsBytes(toJson(model, promptFormat, results)));
        } catch (IOException e) {
            throw new TwllmException("cannot write evaluation results to " + file + ": " + e.getMessage(), e);
        }
    }

    /** One JSON line per example: task, id, output, scores. */
    public static void writePredictions(Path file, List<TaskResult> results) {
        StringBuilder out = new StringBuilder();
        ObjectMapper compact = new ObjectMapper();
        try {
            for (TaskResult r : results) {
                for (TaskResult.Prediction p : r.predictions()) {
                    ObjectNode line = compact.createObjectNode();
                    line.put("task", r.name());
                    line.put("id", p.id());
                    line.put("output", p.output());
                    ObjectNode scores = line.putObject("scores");
                    p.scores().forEach(scores::put);
                    out.append(compact.writeValueAsString(line)).append('\n');
                }
            }
            AtomicFiles.write(file, out.toString());
        } catch (IOException e) {
            throw new TwllmException("cannot write predictions to " + file + ": " + e.getMessage(), e);
        }
    }

    /** A fixed-width table: task, kind, examples scored and skipped, then one row per metric. */
    public static String table(List<TaskResult> results) {
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "%-20s %-14s %8s %8s  %-22s %10s%n", "task", "kind", "examples", "skipped",
                "metric", "value"));
        for (TaskResult r : results) {
            if (r.metrics().isEmpty()) {
                out.append(String.format(Locale.ROOT, "%-20s %-14s %8d %8d  %-22s%n", r.name(), r.kind().key(), r.examples(),
                        r.skipped(), "(no example fit)"));
            }
            boolean first = true;
            for (Map.Entry<String, Double> m : r.metrics().entrySet()) {
                out.append(String.format(Locale.ROOT, "%-20s %-14s %8s %8s  %-22s %10.4f%n",
                        first ? r.name() : "", first ? r.kind().key() : "", first ? String.valueOf(r.examples()) : "",
                        first ? String.valueOf(r.skipped()) : "", m.getKey(), m.getValue()));
                first = false;
            }
        }
        return out.toString();
    }
}
