package org.twllm.data.corpus;

/**
 * Turns one source record into a document: the hook through which {@link CorpusPreparer} reads every
 * format (plain text, a JSON text field, dialogues rendered with a chat template, rated feedback). It is
 * called on worker threads, so it must be thread-safe (a pure function of the record).
 */
@FunctionalInterface
public interface DocumentExtractor {
    /**
     * The document in {@code record}, or {@link Extracted#dropped} with the reason the report counts
     * (e.g. a feedback record that is not positively rated).
     *
     * @throws InvalidRecordException when the record is malformed
     */
    Extracted extract(SourceRecord record);

    /** A document, or the reason a well-formed record holds none. */
    record Extracted(CorpusDocument document, String dropReason) {
        public static Extracted of(CorpusDocument document) {
            return new Extracted(document, null);
        }

        public static Extracted dropped(String reason) {
            return new Extracted(null, reason);
        }
    }
}
