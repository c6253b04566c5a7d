package org.twllm.core.train;

import java.nio.file.Path;
import java.util.Map;

import org.twllm.core.checkpoint.Checkpoint;
import org.twllm.core.checkpoint.CheckpointDirectory;
import org.twllm.core.checkpoint.CheckpointWriter;
import org.twllm.core.checkpoint.HfInferenceFiles;
import org.twllm.core.checkpoint.OptimizerState;
import org.twllm.core.checkpoint.TrainerState;
import org.twllm.core.config.StageConfig;
import org.twllm.core.io.DType;
import org.twllm.core.io.HfModelDirectory;
import org.twllm.core.model.LlamaModel;
import org.twllm.progress.Progress;
import org.twllm.progress.ProgressOutput;

/**
 * Saves the run's checkpoints into its output directory (see {@link Checkpoint} for the layout) and keeps
 * the newest {@code save_total_limit}. Every rank writes the optimizer range it owns; rank 0 writes the
 * model, tokenizer, config and trainer state and commits, between barriers; with several ranks the output
 * directory must be on a file system they share.
 */
public final class TrainingCheckpoints implements CheckpointSaver {
    private final StageConfig config;
    private final LlamaModel model;
    private final AdamW optimizer;
    private final DataParallel dp;
    private final Path tokenizerFile;
    private final HfInferenceFiles hfFiles;
    private final CheckpointDirectory directory;
    private final ProgressOutput progress;

    /**
     * @param hfFiles  the tokenizer and generation configs every checkpoint's model carries
     * @param progress where a long save shows the bytes written (rank 0's optimizer range and the model)
     */
    public TrainingCheckpoints(StageConfig config, LlamaModel model, AdamW optimizer, DataParallel dp, Path tokenizerFile,
                               HfInferenceFiles hfFiles, ProgressOutput progress) {
        this.config = config;
        this.model = model;
        this.optimizer = optimizer;
        this.dp = dp;
        this.tokenizerFile = tokenizerFile;
        this.hfFiles = hfFiles;
        this.directory = new CheckpointDirectory(config.run().outputDir());
        this.progress = progress;
    }

    @Override
    public void save(TrainingProgress progress) {
        Path outputDir = config.run().outputDir();
        CheckpointWriter writer = dp.rank() == 0 ? CheckpointWriter.begin(outputDir, progress.step()) : null;
        dp.barrier(); // the temporary directory exists before any rank writes into it
        CheckpointWriter mine = writer != null ? writer : CheckpointWriter.join(outputDir, progress.step());
        long modelBytes = writer != null ? model.parameters().numParameters() * DType.F32.bytes() : 0;
        try (Progress shown = this.progress.start(Checkpoint.dirName(progress.step()), null,
                2 * optimizer.expAvg().length() * DType.F32.bytes() + modelBytes)) {
            mine.writeOptimizer(new OptimizerState(optimizer.start(), optimizer.expAvg(), optimizer.expAvgSq(),
                    optimizer.updates()), shown);
            dp.barrier(); // every range is on disk before rank 0 checksums and commits
            if (writer != null) {
                HfModelDirectory.save(model, writer.directory(), DType.F32, shown);
            }
        }
        if (writer != null) {
            writer.copyFile(tokenizerFile, Checkpoint.TOKENIZER_FILE);
            writer.writeString(HfInferenceFiles.TOKENIZER_CONFIG, hfFiles.tokenizerConfig());
            writer.writeString(HfInferenceFiles.GENERATION_CONFIG, hfFiles.generationConfig());
            writer.writeString(Checkpoint.CONFIG_FILE, config.toYaml());
            writer.commit(new TrainerState(progress.step(), progress.consumedSamples(), progress.tokens(),
                    progress.skippedSteps(), progress.elapsedS(), config.run().seed(), config.fingerprint(),
                    dp.worldSize(), TrainerState.currentCodeVersion(), Map.of()));
            directory.keepNewest(config.checkpoint().saveTotalLimit());
        }
        dp.barrier(); // no rank runs ahead of a checkpoint that is not committed yet
    }
}
