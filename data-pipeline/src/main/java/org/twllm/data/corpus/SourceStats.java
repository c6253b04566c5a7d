package org.twllm.data.corpus;

import java.util.LinkedHashMap;
import java.util.Map;

/** What {@code data prepare} did with one source: records read, documents kept and written, drops by reason. */
public final class SourceStats {
    public static final String INVALID = "invalid";
    public static final String EMPTY = "empty";
    public static final String TOO_SHORT = "too short";
    public static final String TOO_LONG = "too long";
    public static final String SIMPLIFIED = "simplified";
    public static final String DUPLICATE = "duplicate";

    private final String name;
    private final String path;
    private final String format;
    private final double weight;
    long recordsRead;
    long documentsKept;
    long tokensKept;
    long documentsWritten;
    long tokensWritten;
    long mostlySimplified;
    final Map<String, Long> dropped = new LinkedHashMap<>();

    public SourceStats(String name, String path, String format, double weight) {
        this.name = name;
        this.path = path;
        this.format = format;
        this.weight = weight;
    }

    void drop(String reason) {
        dropped.merge(reason, 1L, Long::sum);
    }

    public String name() {
        return name;
    }

    public String path() {
        return path;
    }

    public String format() {
        return format;
    }

    public double weight() {
        return weight;
    }

    /** Records read: documents, dialogues or text blocks, including the ones dropped. */
    public long recordsRead() {
        return recordsRead;
    }

    /** Documents that passed every filter (each counted once, before mixture weights). */
    public long documentsKept() {
        return documentsKept;
    }

    /** Tokens of the kept documents (BOS/EOS and template tokens included), once each. */
    public long tokensKept() {
        return tokensKept;
    }

    /** Documents written to shards, after the mixture weight. */
    public long documentsWritten() {
        return documentsWritten;
    }

    public long tokensWritten() {
        return tokensWritten;
    }

    /** Documents the script filter found mostly Simplified (dropped, or only counted in count-only mode). */
    public long mostlySimplified() {
        return mostlySimplified;
    }

    /** Dropped documents by reason ({@link #INVALID}, {@link #EMPTY}, ..., or an extractor's reason). */
    public Map<String, Long> dropped() {
        return Map.copyOf(dropped);
    }

    public long dropped(String reason) {
        return dropped.getOrDefault(reason, 0L);
    }
}
