package org.twllm.files;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.function.Function;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.twllm.errors.ConfigException;

/**
 * Reads JSONL files (one JSON object a line, UTF-8): the one reader of dialogues, feedback logs, task
 * files and {@code metrics.jsonl}. Its policy for lines that are not records:
 * <ul>
 *   <li>blank lines are skipped (they still count in line numbers, which start at 1);</li>
 *   <li>a line that is not one JSON object is an error naming the file and the line;</li>
 *   <li>except the last line when no newline ends it and it does not parse: that is a line cut short by a
 *       crash while it was appended (a killed run's {@code metrics.jsonl}); it is ignored with a warning.</li>
 * </ul>
 */
public final class JsonLines {
    private static final Logger LOG = LoggerFactory.getLogger(JsonLines.class);
    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private JsonLines() {
    }

    /** One record: the file it came from, its 1-based line number and its JSON object. */
    public record Line(Path file, long number, JsonNode object) {
        /** {@code FILE:N}, for messages about this record. */
        public String where() {
            return file + ":" + number;
        }
    }

    /** Every record of {@code file}, each turned into a {@code T} by {@code parse}, in file order. */
    public static <T> List<T> read(Path file, Function<Line, T> parse) {
        List<T> out = new ArrayList<>();
        forEach(file, line -> out.add(parse.apply(line)));
        return out;
    }

    /**
     * Hands every record of {@code file} to {@code action} in file order.
     *
     * @throws ConfigException when the file cannot be read or a line is not a JSON object (see the policy above);
     *                         the records before that line have been handed over
     */
    public static void forEach(Path file, Consumer<Line> action) {
        try (InputStream in = Files.newInputStream(file)) {
            LineBytes bytes = new LineBytes(in);
            for (long number = 1; bytes.next(); number++) {
                if (bytes.isBlank()) {
                    continue;
                }
                JsonNode node;
                String problem;
                try {
                    node = JSON.readTree(bytes.buffer(), 0, bytes.length());
                    problem = node != null && node.isObject() ? null
                            : "it is " + (node == null ? "empty" : "a JSON " + node.getNodeType().name().toLowerCase(Locale.ROOT));
                } catch (JsonProcessingException e) {
                    node = null;
                    problem = e.getOriginalMessage();
                }
                if (problem != null) {
                    if (!bytes.terminated()) {
                        LOG.warn("{}:{}: ignoring the last line, which was cut short (a crash while it was written?)",
                                file, number);
                        return;
                    }
                    throw new ConfigException(file + ":" + number + ": not a JSON object (" + problem
                            + "); fix or remove that line");
                }
                action.accept(new Line(file, number, node));
            }
        } catch (IOException e) {
            throw new ConfigException("cannot read " + file + " (" + e.getMessage() + "); check that the file exists and is"
                    + " readable");
        }
    }
}
