package org.twllm.data.shard;

import java.nio.file.Path;

import org.twllm.errors.TwllmException;

/**
 * A file of a shard directory (a shard or its manifest) is damaged: missing, truncated, unreadable, or its
 * bytes differ from their recorded checksum. {@code data prepare} and training rebuild a damaged cache from
 * its sources (naming the file in a warning); a shard directory given as a source is refused.
 */
public final class ShardCorruptionException extends TwllmException {
    private static final long serialVersionUID = 1L;
    private final transient Path file;
    private final String kind;
    private final String problem;

    ShardCorruptionException(Path file, String kind, String problem) {
        super(kind + " " + file + " is unusable: " + problem + "; re-run 'twllm data prepare' to rewrite the shards");
        this.file = file;
        this.kind = kind;
        this.problem = problem;
    }

    /** What the file is: "shard" or "shard manifest". */
    public String kind() {
        return kind;
    }

    /** The damaged file. */
    public Path file() {
        return file;
    }

    /** What is wrong with it, e.g. "its checksum is crc32c:..., not the recorded crc32c:...". */
    public String problem() {
        return problem;
    }
}
