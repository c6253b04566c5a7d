package org.twllm.sweep;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import org.twllm.files.JsonLines;

/**
 * The loss curve of one stage, read from its {@code metrics.jsonl}: training loss at every logged step
 * and validation loss where it was measured, read by {@link JsonLines} (a last line cut short by a killed
 * run is ignored; a damaged line before it is an error naming the line).
 */
public record RunMetrics(long[] steps, double[] losses, long[] valSteps, double[] valLosses) {
    public static final String FILE = "metrics.jsonl";

    public static RunMetrics read(Path stageDir) {
        Path file = stageDir.resolve(FILE);
        List<Long> steps = new ArrayList<>();
        List<Double> losses = new ArrayList<>();
        List<Long> valSteps = new ArrayList<>();
        List<Double> valLosses = new ArrayList<>();
        if (Files.isRegularFile(file)) {
            JsonLines.forEach(file, line -> {
                JsonNode node = line.object();
                long step = node.path("step").asLong(-1);
                if (step < 0) {
                    return;
                }
                if (node.hasNonNull("loss")) {
                    steps.add(step);
                    losses.add(node.get("loss").asDouble());
                }
                if (node.hasNonNull("val_loss")) {
                    valSteps.add(step);
                    valLosses.add(node.get("val_loss").asDouble());
                }
            });
        }
        return new RunMetrics(steps.stream().mapToLong(Long::longValue).toArray(), losses.stream().mapToDouble(Double::doubleValue).toArray(),
                valSteps.stream().mapToLong(Long::longValue).toArray(), valLosses.stream().mapToDouble(Double::doubleValue).toArray());
    }

    public boolean isEmpty() {
        return steps.length == 0;
    }

    public long lastStep() {
        return steps.length == 0 ? 0 : steps[steps.length - 1];
    }

    /** Training loss of the last logged step, NaN when none. */
    public double finalLoss() {
        return losses.length == 0 ? Double.NaN : losses[losses.length - 1];
    }

    /** The last validation loss, NaN when none was measured. */
    public double finalValLoss() {
        return valLosses.length == 0 ? Double.NaN : valLosses[valLosses.length - 1];
    }
}
