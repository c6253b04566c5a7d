package org.twllm.core.eval;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

import com.fasterxml.jackson.databind.JsonNode;
import org.twllm.errors.ConfigException;
import org.twllm.files.JsonLines;

/**
 * Reads JSONL task files (one JSON object a line, read by {@link JsonLines}). Field names follow
 * docs/evaluation.md; TC-Eval's names are accepted as aliases ({@code paragraph} for {@code context},
 * {@code references} for {@code answers}). Every problem names the file, the line and the field.
 */
public final class TaskFileReader {
    private static final String LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

    private TaskFileReader() {
    }

    public static List<EvalExamples.Qa> readQa(Path file) {
        return read(file, (node, where) -> new EvalExamples.Qa(
                id(node, where),
                optionalText(node, "", "context", "paragraph"),
                text(node, where, "question"),
                answers(node, where)));
    }

    public static List<EvalExamples.MultipleChoice> readMultipleChoice(Path file) {
        return read(file, TaskFileReader::multipleChoice);
    }

    public static List<EvalExamples.Summarization> readSummarization(Path file) {
        return read(file, (node, where) -> new EvalExamples.Summarization(
                id(node, where), text(node, where, "document"), text(node, where, "summary")));
    }

    public static List<EvalExamples.Text> readText(Path file) {
        return read(file, (node, where) -> new EvalExamples.Text(id(node, where), text(node, where, "text")));
    }

    private static <T> List<T> read(Path file, BiFunction<JsonNode, String, T> parse) {
        if (!Files.isRegularFile(file)) {
            throw new ConfigException("task file " + file + " does not exist: pass a JSONL file (see docs/evaluation.md)");
        }
        List<T> out = JsonLines.read(file, line -> parse.apply(line.object(), line.where()));
        if (out.isEmpty()) {
            throw new ConfigException("task file " + file + " holds no records");
        }
        return out;
    }

    private static EvalExamples.MultipleChoice multipleChoice(JsonNode node, String where) {
        JsonNode choices = node.get("choices");
        List<String> letters = new ArrayList<>();
        List<String> options = new ArrayList<>();
        if (choices != null && choices.isArray()) {
            if (choices.size() > LETTERS.length()) {
                throw new ConfigException(where + ": at most " + LETTERS.length() + " choices are supported");
            }
            for (int i = 0; i < choices.size(); i++) {
                letters.add(String.valueOf(LETTERS.charAt(i)));
                options.add(choices.get(i).asText());
            }
        } else if (choices != null && choices.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = choices.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (e.getKey().length() != 1 || !Character.isLetter(e.getKey().charAt(0))) {
                    throw new ConfigException(where + ": choice key '" + e.getKey() + "' must be one letter such as A");
                }
                letters.add(e.getKey().toUpperCase(java.util.Locale.ROOT));
                options.add(e.getValue().asText());
            }
        } else {
            throw new ConfigException(where + ": field 'choices' is missing: give a list [\"...\", ...] or an object {\"A\": \"...\"}");
        }
        if (letters.size() < 2) {
            throw new ConfigException(where + ": 'choices' needs at least two options");
        }
        JsonNode answer = node.get("answer");
        String letter;
        if (answer == null || answer.isNull()) {
            throw new ConfigException(where + ": field 'answer' is missing: give the option letter or its 0-based index");
        } else if (answer.isInt()) {
            int index = answer.asInt();
            if (index < 0 || index >= letters.size()) {
                throw new ConfigException(where + ": 'answer' index " + index + " is outside the " + letters.size() + " choices");
            }
            letter = letters.get(index);
        } else {
            letter = answer.asText().strip().toUpperCase(java.util.Locale.ROOT);
            if (!letters.contains(letter)) {
                throw new ConfigException(where + ": 'answer' is '" + answer.asText() + "', which is not one of the choice letters " + letters);
            }
        }
        return new EvalExamples.MultipleChoice(id(node, where), text(node, where, "question"), letters, options, letter);
    }

    private static List<String> answers(JsonNode node, String where) {
        JsonNode answers = node.has("answers") ? node.get("answers") : node.get("references");
        if (answers == null) {
            throw new ConfigException(where + ": field 'answers' is missing: give a list of gold answer strings");
        }
        List<String> out = new ArrayList<>();
        if (answers.isArray()) {
            answers.forEach(a -> out.add(a.asText()));
        } else {
            out.add(answers.asText());
        }
        if (out.isEmpty() || out.stream().allMatch(String::isBlank)) {
            throw new ConfigException(where + ": 'answers' holds no non-empty answer");
        }
        return out;
    }

    private static String id(JsonNode node, String where) {
        JsonNode id = node.get("id");
        return id == null || id.isNull() ? where.substring(where.lastIndexOf(':') + 1) : id.asText();
    }

    private static String text(JsonNode node, String where, String field) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull() || !value.isValueNode()) {
            throw new ConfigException(where + ": field '" + field + "' is missing or not a string");
        }
        return value.asText();
    }

    private static String optionalText(JsonNode node, String fallback, String... fields) {
        for (String field : fields) {
            JsonNode value = node.get(field);
            if (value != null && value.isValueNode()) {
                return value.asText();
            }
        }
        return fallback;
    }
}
