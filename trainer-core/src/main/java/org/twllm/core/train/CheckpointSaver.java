package org.twllm.core.train;

/** Saves a checkpoint of the run as it stands after {@code progress.step()} steps (called on every rank). */
@FunctionalInterface
public interface CheckpointSaver {
    void save(TrainingProgress progress);
}
