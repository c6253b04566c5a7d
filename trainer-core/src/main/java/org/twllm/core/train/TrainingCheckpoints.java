package org.twllm.core.train;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.twllm.core.checkpoint.Checkpoint;
import org.twllm.core.checkpoint.CheckpointDirectory;
import org.twllm.core.checkpoint.CheckpointWriter;
import org.twllm.core.checkpoint.HfInferenceFiles;
import org.twllm.core.checkpoint.OptimizerState;
import org.twllm.core.checkpoint.TrainerState;
import org.twllm.core.config.StageConfig;
import org.twllm.core.io.DType;
import org.twllm.core.io.HfModelDirectory;
import org.twllm.core.engine.Engine;
import org.twllm.core.engine.Precision;
import org.twllm.progress.Progress;
import org.twllm.progress.ProgressOutput;

/**
 * Saves the run's checkpoints into its output directory (see {@link Checkpoint} for the layout) and keeps
 * the newest {@code save_total_limit}. Every rank writes the partition state it owns (fp32 master weights and AdamW
 * moments); rank 0 writes the model from the compute weights (bf16 safetensors for bf16 runs, fp32 for fp32 runs),
 * tokenizer, config and trainer state and commits, between barriers that wait as long as the save
 * may take ({@link #saveTimeoutNs}), not the collective timeout; with several ranks the output directory
 * must be on a file system they share.
 */
public final class TrainingCheckpoints implements CheckpointSaver {
    /** The slowest storage a save's timeout allows for: a busy shared network file system. */
    static final long SLOWEST_DISK_BYTES_PER_S = 100L << 20;

    private final StageConfig config;
    private final Engine engine;
    private final DataParallel dp;
    private final Path tokenizerFile;
    private final HfInferenceFiles hfFiles;
    private final CheckpointDirectory directory;
    private final ProgressOutput progress;
    /** Names this job's temporary checkpoint directories (rank 0's process token); 0 until the first save. */
    private long token;

    /**
     * @param hfFiles  the tokenizer and generation configs every checkpoint's model carries
     * @param progress where a long save shows the bytes written (rank 0's optimizer range and the model)
     */
    public TrainingCheckpoints(StageConfig config, Engine engine, DataParallel dp, Path tokenizerFile,
                               HfInferenceFiles hfFiles, ProgressOutput progress) {
        this.config = config;
        this.engine = engine;
        this.dp = dp;
        this.tokenizerFile = tokenizerFile;
        this.hfFiles = hfFiles;
        this.directory = new CheckpointDirectory(config.run().outputDir());
        this.progress = progress;
    }

    /**
     * How long the other ranks wait in a save's barriers for the slowest (rank 0, which writes the model and
     * checksums every file): the collective timeout plus a minute for file-system stalls (fsync, renames on
     * a network file system), plus the time to write and read back the checkpoint's bytes at
     * {@link #SLOWEST_DISK_BYTES_PER_S}. For Llama-2-7B on 8 ranks about 20 minutes; for the tiny model 91 s
     * (30 s collective timeout + 60 s + 1 s).
     */
    static long saveTimeoutNs(long numParameters, int worldSize, long collectiveTimeoutNs) {
        long model = 4 * numParameters;
        long optimizer = OptimizerState.bytes(numParameters);
        long moved = model + optimizer / worldSize + model + optimizer; // written by rank 0, then all read to checksum
        return collectiveTimeoutNs + TimeUnit.SECONDS.toNanos(60) + TimeUnit.SECONDS.toNanos(moved / SLOWEST_DISK_BYTES_PER_S);
    }

    /** {@link #saveTimeoutNs(long, int, long)} with the collective timeout of {@code config}. */
    static long saveTimeoutNs(StageConfig config, long numParameters, int worldSize) {
        return saveTimeoutNs(numParameters, worldSize, TimeUnit.SECONDS.toNanos(config.distributed().transport().collectiveTimeoutS()));
    }

    /** How a checkpoint stores the model of a run in {@code precision}: exactly its compute weights. */
    public static DType modelDType(Precision precision) {
        return precision == Precision.BF16 ? DType.BF16 : DType.F32;
    }

    @Override
    public void save(TrainingProgress progress) {
        Path outputDir = config.run().outputDir();
        long timeout = saveTimeoutNs(config, engine.layout().total(), dp.worldSize());
        String what = "the barrier of checkpoint " + Checkpoint.dirName(progress.step());
        if (token == 0) {
            // Rank 0's token names the job's temporary checkpoint directories; it travels as a sum with zeros.
            double[] agreed = {dp.rank() == 0 ? CheckpointWriter.newToken() : 0};
            dp.allReduceSum(agreed);
            token = (long) agreed[0];
        }
        CheckpointWriter writer = dp.rank() == 0 ? CheckpointWriter.begin(outputDir, progress.step(), token) : null;
        dp.barrier(timeout, what); // the temporary directory exists before any rank writes into it
        CheckpointWriter mine = writer != null ? writer : CheckpointWriter.join(outputDir, progress.step(), token);
        DType modelType = modelDType(engine.settings().precision());
        long modelBytes = writer != null ? engine.layout().total() * modelType.bytes() : 0;
        long start = engine.settings().ownedStart();
        long end = engine.settings().ownedEnd();
        try (Progress shown = this.progress.start(Checkpoint.dirName(progress.step()), null,
                OptimizerState.bytes(end - start) + modelBytes)) {
            mine.writeOptimizer(start, end, engine.optimizerUpdates(), engine::readOwned, shown);
            dp.barrier(timeout, what); // every range is on disk before rank 0 checksums and commits
            if (writer != null) {
                HfModelDirectory.save(engine.config(), engine::readWeights, writer.directory(), modelType, shown);
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
        dp.barrier(timeout, what); // no rank runs ahead of a checkpoint that is not committed yet
    }
}
