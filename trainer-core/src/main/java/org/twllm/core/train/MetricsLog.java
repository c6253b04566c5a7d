package org.twllm.core.train;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.twllm.errors.ConfigException;
import org.twllm.errors.TwllmException;
import org.twllm.files.AtomicFiles;
import org.twllm.files.JsonLines;

/**
 * {@code metrics.jsonl}: one JSON object per optimizer step, flushed as it is written so a crashed run
 * keeps every finished step. A resumed run first drops the lines after the checkpoint's step (those
 * steps are trained again) and then appends.
 */
public final class MetricsLog implements StepLog, AutoCloseable {
    public static final String FILE_NAME = "metrics.jsonl";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Logger LOG = LoggerFactory.getLogger(MetricsLog.class);

    private final BufferedWriter out;

    private MetricsLog(BufferedWriter out) {
        this.out = out;
    }

    /**
     * Opens {@code dir/metrics.jsonl} for appending, keeping only lines with {@code step <= keepThroughStep}
     * (0 for a fresh run: the file starts empty). The file is read by {@link JsonLines}: a last line cut
     * short by a crash is dropped; a damaged line further up sets the file aside as
     * {@code metrics.jsonl.damaged-<time>} and keeps the lines before it, so a resume never fails on it.
     */
    public static MetricsLog open(Path dir, long keepThroughStep) {
        Path file = dir.resolve(FILE_NAME);
        StringBuilder kept = new StringBuilder();
        if (keepThroughStep > 0 && Files.exists(file)) {
            try {
                JsonLines.forEach(file, line -> {
                    if (line.object().path("step").asLong(Long.MAX_VALUE) <= keepThroughStep) {
                        kept.append(line.object()).append('\n');
                    }
                });
            } catch (ConfigException damaged) {
                Path aside = dir.resolve(FILE_NAME + ".damaged-" + System.currentTimeMillis());
                LOG.warn("{}; set it aside as {} and kept the steps before that line", damaged.getMessage(), aside);
                try {
                    Files.move(file, aside);
                } catch (IOException e) {
                    throw new TwllmException("cannot set the damaged " + file + " aside: " + e.getMessage(), e);
                }
            }
        }
        AtomicFiles.write(file, kept.toString());
        try {
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
