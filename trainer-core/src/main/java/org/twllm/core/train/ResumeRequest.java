package org.twllm.core.train;

import java.nio.file.Path;

import org.twllm.core.config.CheckpointConfig;

/**
 * Where a run starts: {@code auto} (the newest complete checkpoint in the output directory, or fresh
 * when there is none), {@code never} (fresh; refused when the output directory already holds checkpoints),
 * or a given checkpoint directory.
 */
public record ResumeRequest(Mode mode, Path checkpoint) {
    public enum Mode { AUTO, NEVER, DIRECTORY }

    public static ResumeRequest auto() {
        return new ResumeRequest(Mode.AUTO, null);
    }

    public static ResumeRequest never() {
        return new ResumeRequest(Mode.NEVER, null);
    }

    /** {@code auto}, {@code never}, or a directory (relative to {@code workDir}); null means the config's setting. */
    public static ResumeRequest parse(String flag, CheckpointConfig config, Path workDir) {
        if (flag == null) {
            return config.resume() == CheckpointConfig.Resume.NEVER ? never() : auto();
        }
        switch (flag) {
            case "auto":
                return auto();
            case "never":
                return never();
            default:
                return new ResumeRequest(Mode.DIRECTORY, workDir.resolve(flag).toAbsolutePath().normalize());
        }
    }
}
