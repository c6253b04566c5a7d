package org.twllm.data.corpus;

import java.util.Locale;

import org.twllm.errors.ConfigException;

/** How a source's records are laid out and what a record becomes. */
public enum SourceFormat {
    /** JSON Lines, one document per line, its text in a configurable field ({@code text} by default). cPT. */
    JSONL(true),
    /** Plain UTF-8 text, one document per block of lines separated by blank lines. cPT. */
    TEXT(false),
    /** JSON Lines of dialogues: {@code messages} (role/content) or ShareGPT {@code conversations} (from/value). SFT. */
    CHAT(true),
    /** The same as {@link #CHAT}; the name ShareGPT users look for. */
    SHAREGPT(true),
    /** JSON Lines of feedback: a dialogue plus a rating; only positively rated ones are kept. SFT. */
    FEEDBACK(true);

    private final boolean jsonLines;

    SourceFormat(boolean jsonLines) {
        this.jsonLines = jsonLines;
    }

    /** Whether each non-blank line is one JSON record (else blank-line-separated text blocks). */
    public boolean jsonLines() {
        return jsonLines;
    }

    /** Whether records become SFT examples (a rendered dialogue with a loss mask) rather than cPT documents. */
    public boolean isDialogue() {
        return this == CHAT || this == SHAREGPT || this == FEEDBACK;
    }

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static SourceFormat parse(String id) {
        for (SourceFormat f : values()) {
            if (f.id().equals(id)) {
                return f;
            }
        }
        throw new ConfigException("unknown source format '" + id + "': use jsonl, text, chat, sharegpt, feedback or parquet");
    }
}
