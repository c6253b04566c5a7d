package org.twllm.data.corpus;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One record read from a source file, before it becomes a document: a parsed JSON line, or a text block.
 *
 * @param file   the file it came from
 * @param line   1-based line number where it starts
 * @param json   the parsed JSON object (JSON Lines formats), else null
 * @param text   the text block (text format), or the raw line of a JSON Lines record not parsed yet
 *               ({@link SourceReader#nextRaw}), else null
 */
public record SourceRecord(String file, long line, JsonNode json, String text) {
    /** "file:line", for messages. */
    public String where() {
        return file + ":" + line;
    }
}
