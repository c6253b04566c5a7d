package org.twllm.core.train;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.twllm.errors.TwllmException;

/**
 * {@code metrics.jsonl}: one JSON object per optimizer step, flushed as it is written so a crashed run
 * keeps every finished step. A resumed run first drops the lines after the checkpoint's step (those
 * steps are trained again) and then appends.
 */
public final class MetricsLog implements StepLog, AutoCloseable {
    public static final String FILE_NAME = "metrics.jsonl";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final BufferedWriter out;

    private MetricsLog(BufferedWriter out) {
        this.out = out;
    }

    /**
     * Opens {@code dir/metrics.jsonl} for appending, keeping only lines with {@code step <= keepThroughStep}
     * (0 for a fresh run: the file starts empty).
     */
    public static MetricsLog open(Path dir, long keepThroughStep) {
        Path file = dir.resolve(FILE_NAME);
        try {
            Files.createDirectories(dir);
            List<String> kept = new ArrayList<>();
            if (keepThroughStep > 0 && Files.exists(file)) {
                for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                    if (line.isBlank()) {
                        continue;
                    }
                    JsonNode node;
                    try {
                        node = JSON.readTree(line);
                    } catch (IOException torn) {
                        break; // a line torn by a crash: everything after it is gone too
                    }
                    if (node.path("step").asLong(Long.MAX_VALUE) <= keepThroughStep) {
                        kept.add(line);
                    }
                }
            }
            Path tmp = dir.resolve(FILE_NAME + ".tmp");
            Files.write(tmp, kept, StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return new MetricsLog(Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.APPEND));
        } catch (IOException e) {
            throw new TwllmException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** Appends one step's line and flushes it. */
    @Override
    public void append(StepMetrics m) {
        ObjectNode node = JSON.createObjectNode();
        node.put("step", m.step());
        node.put("loss", m.loss());
        node.put("lr", m.lr());
        node.put("grad_norm", m.gradNorm());
        node.put("tokens", m.tokens());
        node.put("tokens_per_s", m.tokensPerS());
        node.put("mfu", m.mfu());
        node.put("elapsed_s", m.elapsedS());
        node.put("skipped_steps", m.skippedSteps());
        if (m.hasValLoss()) {
            node.put("val_loss", m.valLoss());
        }
        try {
            out.write(JSON.writeValueAsString(node));
            out.write('\n');
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        try {
            out.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
