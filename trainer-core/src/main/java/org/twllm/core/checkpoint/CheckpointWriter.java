package org.twllm.core.checkpoint;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

import org.twllm.errors.TwllmException;
import org.twllm.files.AtomicFiles;
import org.twllm.progress.Progress;

/**
 * Writes one checkpoint atomically. Files go into the temporary sibling {@link #directory()}: the model
 * (by the caller, in HF layout), each rank's optimizer range, the tokenizer and the config; then
 * {@link #commit} checksums them, writes {@code trainer_state.json} last and renames the directory into
 * place. Until that rename the previous checkpoints are the only complete ones.
 *
 * <p>With several ranks on a shared file system every rank calls {@link #writeOptimizer} into the same
 * temporary directory (its name depends only on the step), and rank 0 commits after a barrier.
 */
public final class CheckpointWriter {
    private final Path target;
    private final Path temp;

    private CheckpointWriter(Path target, Path temp) {
        this.target = target;
        this.temp = temp;
    }

    /**
     * A token naming this process's temporary checkpoint directories: unique to it, so two runs never write
     * into one. The ranks of a job use rank 0's (see {@link #begin} and {@link #join}).
     */
    public static long newToken() {
        return AtomicDirectory.processToken();
    }

    /**
     * Starts the checkpoint of {@code step} in {@code outputDir} in a temporary directory named with
     * {@code token}; it starts empty.
     */
    public static CheckpointWriter begin(Path outputDir, long step, long token) {
        Path target = outputDir.resolve(Checkpoint.dirName(step));
        try {
            Files.createDirectories(outputDir);
            return new CheckpointWriter(target, AtomicDirectory.begin(target, token));
        } catch (IOException e) {
            throw new TwllmException("cannot start checkpoint " + target + ": " + e.getMessage(), e);
        }
    }

    /**
     * Another rank's handle on the checkpoint rank 0 began with {@code token} (after a barrier): it writes its
     * own files into the same temporary directory and never commits.
     */
    public static CheckpointWriter join(Path outputDir, long step, long token) {
        Path target = outputDir.resolve(Checkpoint.dirName(step));
        Path temp = AtomicDirectory.tempFor(target, token);
        if (!Files.isDirectory(temp)) {
            throw new TwllmException("checkpoint directory " + temp + " is not visible to this rank; the output"
                    + " directory must be on a file system every rank shares");
        }
        return new CheckpointWriter(target, temp);
    }

    /** Where to write files until {@link #commit}. */
    public Path directory() {
        return temp;
    }

    /**
     * Writes this rank's range {@code [start, end)} of the partition state (master weights and AdamW moments after
     * {@code updates} updates), adding the bytes written to {@code progress}.
     */
    public void writeOptimizer(long start, long end, long updates, OptimizerState.Source state, Progress progress) {
        OptimizerState.write(temp, start, end, updates, state, progress);
    }

    /** Copies {@code source} into the checkpoint as {@code name}. */
    public void copyFile(Path source, String name) {
        try {
            Files.copy(source, temp.resolve(name));
        } catch (IOException e) {
            throw new TwllmException("cannot copy " + source + " into " + temp + ": " + e.getMessage(), e);
        }
    }

    public void writeString(String name, String content) {
        try {
            Files.writeString(temp.resolve(name), content);
        } catch (IOException e) {
            throw new TwllmException("cannot write " + name + " into " + temp + ": " + e.getMessage(), e);
        }
    }

    /** Checksums every file, writes the trainer state, and renames the checkpoint into place. */
    public Checkpoint commit(TrainerState state) {
        try {
            Map<String, String> checksums = new TreeMap<>();
            try (DirectoryStream<Path> files = Files.newDirectoryStream(temp)) {
                for (Path f : files) {
                    if (Files.isRegularFile(f)) {
                        checksums.put(f.getFileName().toString(), FileChecksum.crc32c(f));
                    }
                }
            }
            TrainerState complete = state.withFiles(checksums);
            complete.write(temp.resolve(TrainerState.FILE_NAME));
            AtomicFiles.commitDirectory(temp, target);
            return new Checkpoint(target, complete);
        } catch (IOException e) {
            throw new TwllmException("cannot complete checkpoint " + target + ": " + e.getMessage(), e);
        }
    }
}
