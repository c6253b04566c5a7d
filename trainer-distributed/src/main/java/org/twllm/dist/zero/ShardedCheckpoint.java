package org.twllm.dist.zero;

import java.nio.file.Path;
import java.util.function.Consumer;

import org.twllm.core.checkpoint.Checkpoint;
import org.twllm.core.checkpoint.CheckpointWriter;
import org.twllm.core.checkpoint.TrainerState;
import org.twllm.core.train.AdamW;
import org.twllm.core.train.DataParallel;

/**
 * The distributed checkpoint protocol on a file system all ranks share. Rank 0 starts the temporary
 * directory; after a barrier every rank writes its optimizer range {@code [ownedStart, ownedEnd)} into
 * it; after a second barrier rank 0 writes the model and whatever else only it holds, checksums
 * everything and renames the directory into place; a last barrier lets no rank run ahead of a save that
 * may still fail. A crash at any point leaves the previous checkpoint untouched. Because the optimizer
 * state is stored as flat ranges, a run resumes on any world size: each rank loads its new range with
 * {@link Checkpoint#optimizerState(long, long)}, which assembles it from whichever files cover it.
 */
public final class ShardedCheckpoint {
    private ShardedCheckpoint() {
    }

    /**
     * Saves step {@code state.step()}; {@code rankZeroFiles} writes rank 0's files (the model, the config,
     * the tokenizer) through the writer. Returns the checkpoint directory on every rank.
     */
    public static Path save(DataParallel dp, Path outputDir, AdamW optimizer, Consumer<CheckpointWriter> rankZeroFiles,
                            TrainerState state) {
        if (optimizer.start() != dp.ownedStart() || optimizer.end() != dp.ownedEnd()) {
            throw new IllegalArgumentException("the optimizer covers [" + optimizer.start() + ", " + optimizer.end()
                    + ") but this rank owns [" + dp.ownedStart() + ", " + dp.ownedEnd() + ")");
        }
        CheckpointWriter writer = dp.rank() == 0 ? CheckpointWriter.begin(outputDir, state.step()) : null;
        barrier(dp);
        if (writer == null) {
            writer = CheckpointWriter.join(outputDir, state.step());
        }
        writer.writeOptimizer(optimizer);
        barrier(dp);
        if (dp.rank() == 0) {
            rankZeroFiles.accept(writer);
            writer.commit(state);
        }
        barrier(dp);
        return outputDir.resolve(Checkpoint.dirName(state.step()));
    }

    /** Every rank's contribution to a sum of zeros: returns once all ranks got here. */
    private static void barrier(DataParallel dp) {
        dp.allReduceSum(0.0);
    }
}
