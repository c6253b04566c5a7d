package org.twllm.core.checkpoint;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.twllm.errors.TwllmException;

/**
 * The checkpoints of one output directory: choosing the one to resume from (setting damaged ones aside),
 * sweeping debris, keeping the last K.
 */
public final class CheckpointDirectory {
    private static final Logger LOG = LoggerFactory.getLogger(CheckpointDirectory.class);
    private static final Pattern NAME = Pattern.compile(Pattern.quote(Checkpoint.PREFIX) + "\\d{8}");
    /** A checkpoint directory set aside as damaged: {@code checkpoint-N.damaged}, {@code .damaged-2}, ... */
    static final String DAMAGED_SUFFIX = ".damaged";
    private static final Pattern DAMAGED = Pattern.compile(NAME.pattern() + Pattern.quote(DAMAGED_SUFFIX) + "(-\\d+)?");

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
        return list(NAME).stream().filter(Checkpoint::isCheckpoint).toList();
    }

    /** Checkpoint directories set aside as damaged, by name. */
    public List<Path> damaged() {
        return list(DAMAGED);
    }

    /** The entries of the output directory whose names match {@code name}, sorted (zero-padded steps sort by name). */
    private List<Path> list(Pattern name) {
        List<Path> found = new ArrayList<>();
        if (!Files.isDirectory(outputDir)) {
            return found;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(outputDir)) {
            for (Path p : entries) {
                if (name.matcher(p.getFileName().toString()).matches() && Files.isDirectory(p)) {
                    found.add(p);
                }
            }
        } catch (IOException e) {
            throw new TwllmException("cannot list " + outputDir + ": " + e.getMessage(), e);
        }
        found.sort(null);
        return found;
    }

    /**
     * The newest checkpoint that verifies; a newer one that fails verification is reported and passed
     * over (nothing is moved: for reading a finished run).
     */
    public Optional<Checkpoint> newest() {
        List<Path> all = complete();
        for (int i = all.size() - 1; i >= 0; i--) {
            try {
                return Optional.of(Checkpoint.verified(all.get(i)));
            } catch (DamagedCheckpointException e) {
                LOG.warn("skipping {}: {}", all.get(i).getFileName(), e.getMessage());
            }
        }
        return Optional.empty();
    }

    /**
     * The checkpoint to resume from: the newest that verifies. Every newer checkpoint directory that does
     * not (a file damaged or missing, {@code trainer_state.json} included) is renamed to
     * {@code checkpoint-N.damaged} with a warning, so the run trains those steps again and can save them
     * under their own names. Empty when the directory has never held a checkpoint.
     *
     * @throws TwllmException when there are checkpoints but none is usable: starting over from step 0 would
     *                        silently throw the run's work away
     */
    public Optional<Checkpoint> resumable() {
        List<Path> all = list(NAME);
        for (int i = all.size() - 1; i >= 0; i--) {
            try {
                return Optional.of(Checkpoint.verified(all.get(i)));
            } catch (DamagedCheckpointException e) {
                Path aside = setAside(all.get(i));
                LOG.warn("{} is damaged ({}); moved it aside to {}, so its steps are trained and saved again",
                        all.get(i).getFileName(), e.reason(), aside.getFileName());
            }
        }
        List<Path> damaged = damaged();
        if (!damaged.isEmpty()) {
            throw new TwllmException("no usable checkpoint in " + outputDir + ": " + names(damaged) + " "
                    + (damaged.size() == 1 ? "is" : "are") + " damaged (see the warnings), and training from step 0 here"
                    + " would discard the run; start fresh with another run.output_dir, or delete the *" + DAMAGED_SUFFIX
                    + " folders to start over in this one");
        }
        return Optional.empty();
    }

    /**
     * Renames a damaged checkpoint to the first free {@code NAME.damaged[-k]}. Ranks of one job may race to
     * set the same one aside; a rank that finds it already gone leaves it to the one that moved it.
     */
    private Path setAside(Path dir) {
        for (int k = 1; ; k++) {
            Path aside = dir.resolveSibling(dir.getFileName() + DAMAGED_SUFFIX + (k == 1 ? "" : "-" + k));
            if (Files.exists(aside)) {
                continue;
            }
            try {
                Files.move(dir, aside, StandardCopyOption.ATOMIC_MOVE);
                return aside;
            } catch (NoSuchFileException gone) {
                return aside; // another rank of this job moved it first
            } catch (IOException e) {
                if (Files.exists(aside)) {
                    continue; // another rank took this name for another checkpoint meanwhile: try the next
                }
                throw new TwllmException("cannot set aside the damaged checkpoint " + dir + ": " + e.getMessage()
                        + "; move or delete it by hand", e);
            }
        }
    }

    private static String names(List<Path> dirs) {
        return String.join(", ", dirs.stream().map(p -> p.getFileName().toString()).toList());
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
