package org.twllm.core.checkpoint;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.twllm.errors.TwllmException;

/** The checkpoints of one output directory: finding the newest complete one, sweeping debris, keeping the last K. */
public final class CheckpointDirectory {
    private static final Logger LOG = LoggerFactory.getLogger(CheckpointDirectory.class);
    private static final Pattern NAME = Pattern.compile(Pattern.quote(Checkpoint.PREFIX) + "\\d{8}");

    private final Path outputDir;

    public CheckpointDirectory(Path outputDir) {
        this.outputDir = outputDir;
    }

    /** Removes temporary directories left by a save or deletion that crashed. */
    public void sweepStale() {
        try {
            AtomicDirectory.sweepStale(outputDir);
        } catch (IOException e) {
            throw new TwllmException("cannot clean stale temporary checkpoints in " + outputDir + ": " + e.getMessage(), e);
        }
    }

    /** Complete checkpoint directories (with a trainer state), oldest first. */
    public List<Path> complete() {
        List<Path> found = new ArrayList<>();
        if (!Files.isDirectory(outputDir)) {
            return found;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(outputDir)) {
            for (Path p : entries) {
                if (NAME.matcher(p.getFileName().toString()).matches() && Checkpoint.isCheckpoint(p)) {
                    found.add(p);
                }
            }
        } catch (IOException e) {
            throw new TwllmException("cannot list " + outputDir + ": " + e.getMessage(), e);
        }
        found.sort(null); // zero-padded step numbers sort by name
        return found;
    }

    /**
     * The newest checkpoint that verifies; a newer one that fails verification is reported and passed
     * over, so one damaged save does not strand a run.
     */
    public Optional<Checkpoint> newest() {
        List<Path> all = complete();
        for (int i = all.size() - 1; i >= 0; i--) {
            try {
                return Optional.of(Checkpoint.open(all.get(i)));
            } catch (TwllmException e) {
                LOG.warn("skipping {}: {}", all.get(i).getFileName(), e.getMessage());
            }
        }
        return Optional.empty();
    }

    /** Deletes the oldest checkpoints so that at most {@code keep} remain (0 keeps all). */
    public void keepNewest(int keep) {
        if (keep <= 0) {
            return;
        }
        List<Path> all = complete();
        for (int i = 0; i < all.size() - keep; i++) {
            try {
                AtomicDirectory.removeAtomically(all.get(i));
            } catch (IOException e) {
                throw new TwllmException("cannot delete old checkpoint " + all.get(i) + ": " + e.getMessage(), e);
            }
        }
    }
}
