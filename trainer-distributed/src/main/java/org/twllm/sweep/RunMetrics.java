package org.twllm.sweep;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.twllm.errors.TwllmException;

/**
 * The loss curve of one stage, read from its {@code metrics.jsonl}: training loss at every logged step
 * and validation loss where it was measured. A torn last line (a run killed mid-write) is ignored.
 */
public record RunMetrics(long[] steps, double[] losses, long[] valSteps, double[] valLosses) {
    public static final String FILE = "metrics.jsonl";
    private static final ObjectMapper JSON = new ObjectMapper();

    public static RunMetrics read(Path stageDir) {
        Path file = stageDir.resolve(FILE);
        List<long[]> steps = new ArrayList<>();
        List<Double> losses = new ArrayList<>();
        List<Long> valSteps = new ArrayList<>();
        List<Double> valLosses = new ArrayList<>();
        if (Files.isRegularFile(file)) {
            try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                String line;
                while ((line = reader.readLine()) != null) {
                    if (line.isBlank()) {
                        continue;
                    }
                    JsonNode node;
                    try {
                        node = JSON.readTree(line);
                    } catch (IOException torn) {
                        continue;
                    }
                    long step = node.path("step").asLong(-1);
                    if (step < 0) {
                        continue;
                    }
                    if (node.hasNonNull("loss")) {
                        steps.add(new long[] {step});
                        losses.add(node.get("loss").asDouble());
                    }
                    if (node.hasNonNull("val_loss")) {
                        valSteps.add(step);
                        valLosses.add(node.get("val_loss").asDouble());
                    }
                }
            } catch (IOException e) {
                throw new TwllmException("cannot read " + file + ": " + e.getMessage(), e);
            }
        }
        return new RunMetrics(steps.stream().mapToLong(s -> s[0]).toArray(), losses.stream().mapToDouble(Double::doubleValue).toArray(),
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
