package org.twllm.sweep;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

import org.twllm.files.AtomicFiles;

/**
 * The "done" marker of a sweep stage ({@code SWEEP_DONE} in the stage's output directory), written
 * only after {@code twllm train} returned success and its {@code final} model exists. A stage counts as
 * finished when both are there; anything else is resumed from its newest checkpoint.
 */
public final class StageMarker {
    public static final String FILE = "SWEEP_DONE";

    private StageMarker() {
    }

    public static boolean isDone(Path stageDir) {
        return Files.isRegularFile(stageDir.resolve(FILE)) && Files.isDirectory(stageDir.resolve(SweepPlan.FINAL_DIR));
    }

    static void markDone(Path stageDir) {
        AtomicFiles.write(stageDir.resolve(FILE), "finished " + Instant.now() + "\n");
    }
}
