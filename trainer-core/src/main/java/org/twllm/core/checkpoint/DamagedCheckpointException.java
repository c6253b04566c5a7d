package org.twllm.core.checkpoint;

import java.nio.file.Path;

import org.twllm.errors.TwllmException;

/**
 * A checkpoint directory whose files are not what its trainer state recorded: a file missing (the trainer
 * state itself included), unreadable, or with another CRC32C. Resuming sets such a checkpoint aside
 * ({@link CheckpointDirectory#resumable()}); loading one as a model refuses it.
 */
public final class DamagedCheckpointException extends TwllmException {
    private static final long serialVersionUID = 1L;
    private final transient Path dir;
    private final String reason;

    DamagedCheckpointException(Path dir, String reason) {
        super("checkpoint " + dir + " is damaged: " + reason);
        this.dir = dir;
        this.reason = reason;
    }

    public Path dir() {
        return dir;
    }

    /** What is wrong, e.g. "model.safetensors has CRC32C 1a2b3c4d, expected 5e6f7a8b". */
    public String reason() {
        return reason;
    }
}
