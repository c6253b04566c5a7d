package org.twllm.errors;

/**
 * A failure while doing the work (a corrupt shard or checkpoint, a dead rank, a NaN loss under the
 * "stop" policy). The CLI prints the message as one clear sentence and exits with code 1.
 */
public class TwllmException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public TwllmException(String message) {
        super(message);
    }

    public TwllmException(String message, Throwable cause) {
        super(message, cause);
    }
}
