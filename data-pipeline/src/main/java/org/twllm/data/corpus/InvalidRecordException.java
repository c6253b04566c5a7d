package org.twllm.data.corpus;

/**
 * A record that cannot become a document (malformed JSON, a missing text field, a dialogue that does not
 * parse). {@link CorpusPreparer} stops with a {@link org.twllm.errors.ConfigException} naming
 * {@code file:line}, or, when asked to skip invalid records, counts it and goes on.
 */
public final class InvalidRecordException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public InvalidRecordException(String message) {
        super(message);
    }
}
