package org.twllm.data.corpus;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One record read from a source file, before it becomes a document: a parsed JSON line or Parquet row, or
 * a text block.
 *
 * @param file   the file it came from
 * @param line   1-based line number where it starts, or the row number of a Parquet row
 * @param json   the parsed JSON object (JSON Lines formats, Parquet rows), else null
 * @param text   the text block (text format), or the raw line of a JSON Lines record not parsed yet
 *               ({@link SourceReader#nextRaw}), else null
 * @param row    whether {@code line} numbers a Parquet row
 */
public record SourceRecord(String file, long line, JsonNode json, String text, boolean row) {
    /** A line or text block record. */
    public SourceRecord(String file, long line, JsonNode json, String text) {
        this(file, line, json, text, false);
    }

    /** Row {@code row} of a Parquet file. */
    static SourceRecord row(String file, long row, JsonNode json) {
        return new SourceRecord(file, row, json, null, true);
    }

    /** "file:line", or "file row N" for a Parquet row, for messages. */
    public String where() {
        return row ? file + " row " + line : file + ":" + line;
    }
}
