package org.twllm.data.corpus;

import java.nio.file.Path;
import java.util.Locale;

import org.twllm.errors.ConfigException;

/**
 * One corpus source of {@code data prepare}.
 *
 * @param path          a file, a directory or a glob ({@link SourceFiles}); {@code .gz}, {@code .zst} and
 *                      {@code .parquet} files are read by their suffix
 * @param name          the name shards and the report use (letters, digits, '.', '_', '-')
 * @param format        what records hold
 * @param textField     the field (JSON) or column (Parquet) holding the text ({@link SourceFormat#JSONL} only)
 * @param messagesField the field or column holding a dialogue's list of messages (dialogue formats); null
 *                      reads {@code messages} or {@code conversations}
 * @param weight        mixture weight: each kept document is written floor(weight) times, plus once more
 *                      with probability frac(weight) (see {@link MixtureWeight})
 */
public record SourceSpec(Path path, String name, SourceFormat format, String textField, String messagesField, double weight) {
    public static final String DEFAULT_TEXT_FIELD = "text";

    public SourceSpec {
        if (!(weight > 0) || Double.isInfinite(weight)) {
            throw new ConfigException("source " + path + " has weight " + weight + ": a mixture weight must be a positive number");
        }
        if (textField == null || textField.isEmpty()) {
            textField = DEFAULT_TEXT_FIELD;
        }
        if (messagesField != null && messagesField.isEmpty()) {
            messagesField = null;
        }
    }

    /** A source whose dialogues (if any) are in {@code messages} or {@code conversations}. */
    public SourceSpec(Path path, String name, SourceFormat format, String textField, double weight) {
        this(path, name, format, textField, null, weight);
    }

    /** A source named after its file (extensions dropped), weight 1. */
    public static SourceSpec of(Path path, SourceFormat format) {
        return new SourceSpec(path, defaultName(path), format, DEFAULT_TEXT_FIELD, 1.0);
    }

    /**
     * The file name without {@code .gz}, {@code .zst}, {@code .jsonl}, {@code .json}, {@code .txt} or
     * {@code .parquet}, made a valid shard name.
     */
    public static String defaultName(Path path) {
        String n = path.getFileName().toString();
        for (String ext : new String[] {".gz", ".zst", ".jsonl", ".json", ".txt", ".parquet"}) {
            if (n.toLowerCase(Locale.ROOT).endsWith(ext)) {
                n = n.substring(0, n.length() - ext.length());
            }
        }
        return safeName(n);
    }

    /** {@code name} made a valid shard name: other characters become '_', at most 64 characters. */
    public static String safeName(String name) {
        String n = name.replaceAll("[^A-Za-z0-9._-]", "_");
        if (n.isEmpty() || !Character.isLetterOrDigit(n.charAt(0))) {
            n = "src" + n;
        }
        return n.length() > 64 ? n.substring(0, 64) : n;
    }

    /**
     * Parses the flag form {@code PATH[:WEIGHT]} (the weight after the last colon when it is a number).
     */
    public static SourceSpec parseFlag(String value, SourceFormat format, String textField, String messagesField) {
        String pathPart = value;
        double weight = 1.0;
        int colon = value.lastIndexOf(':');
        if (colon > 0) {
            try {
                weight = Double.parseDouble(value.substring(colon + 1));
                pathPart = value.substring(0, colon);
            } catch (NumberFormatException notAWeight) {
                // a colon inside the path: no weight given
            }
        }
        Path path = Path.of(pathPart);
        return new SourceSpec(path, defaultName(path), format, textField, messagesField, weight);
    }
}
