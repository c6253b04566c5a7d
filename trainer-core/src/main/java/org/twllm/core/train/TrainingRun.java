package org.twllm.core.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.LongFunction;

import org.nd4j.linalg.api.buffer.DataType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.twllm.core.checkpoint.Checkpoint;
import org.twllm.core.checkpoint.CheckpointDirectory;
import org.twllm.core.checkpoint.HfInferenceFiles;
import org.twllm.core.checkpoint.ModelExport;
import org.twllm.core.checkpoint.OptimizerState;
import org.twllm.core.checkpoint.ResumeCompatibility;
import org.twllm.core.config.StageConfig;
import org.twllm.core.config.TrainingConfig;
import org.twllm.core.io.HfModelDirectory;
import org.twllm.core.model.LlamaConfig;
import org.twllm.core.model.LlamaModel;
import org.twllm.core.plan.MemoryLimits;
import org.twllm.core.plan.Planner;
import org.twllm.data.loader.DataLoader;
import org.twllm.data.tokenizer.SentencePieceTokenizer;
import org.twllm.errors.ConfigException;
import org.twllm.errors.TwllmException;
import org.twllm.files.AtomicFiles;
import org.twllm.progress.ProgressOutput;

/**
 * One {@code twllm train} run from its config: checks everything that can be checked before training
 * (resume compatibility, tokenizer vs model vocabulary, sequence length vs the model's context, dataset vs
 * global batch), builds the model (random, an HF directory, a previous stage's checkpoint or export, or the
 * checkpoint being resumed), the data, the optimizer and the loop, opens with the {@link StartupSummary}, trains
 * (metrics.jsonl and TensorBoard events on rank 0), and exports the final model to {@code <output_dir>/final}
 * (an HF directory with the tokenizer and its configs beside it; the next stage's {@code model.init}).
 */
public final class TrainingRun {
    private static final Logger LOG = LoggerFactory.getLogger(TrainingRun.class);
    public static final String FINAL_DIR = "final";
    /** Seconds of the GEMM probe measuring the CPU's peak when {@code device.peak_flops} is not given. */
    public static final double PEAK_PROBE_SECONDS = 0.3;

    /** What a run left behind. */
    public record Result(TrainingProgress progress, Checkpoint lastCheckpoint, Path finalModel) {
    }

    private TrainingRun() {
    }

    /**
     * @param dataParallel makes the data-parallel group once the parameter count is known ({@code SingleRank::new} for one process)
     * @param console      where progress lines go (rank 0 only), or null for none
     */
    public static Result run(StageConfig config, ResumeRequest resume, LongFunction<DataParallel> dataParallel,
                             Consumer<String> console) {
        UnsupportedSettings.requireSupported(config);
        Path outputDir = config.run().outputDir();
        CheckpointDirectory checkpoints = new CheckpointDirectory(outputDir);
        SentencePieceTokenizer tokenizer = SentencePieceTokenizer.load(config.tokenizer().path());
        Checkpoint from = resumeCheckpoint(resume, checkpoints);
        if (from != null) {
            ResumeCompatibility.check(from, config);
        }
        LlamaConfig plannedShape = from != null ? LlamaConfig.fromHfConfigJson(from.modelDir().resolve("config.json"))
                : Planner.shapeOf(config);
        MemoryCheck memory = MemoryCheck.of(config, plannedShape, MemoryLimits.ofThisProcess(), System.getenv());
        memory.requireFits();

        LlamaModel model = from != null ? HfModelDirectory.load(from.modelDir()) : initialModel(config);
        model.setGradientCheckpointing(config.training().gradientCheckpointing());
        LlamaConfig shape = model.config();
        shape.requireVocab(tokenizer.vocabSize());
        if (config.data().seqLen() > shape.maxPositionEmbeddings()) {
            throw new ConfigException("data.seq_len " + config.data().seqLen() + " is longer than the model's"
                    + " max_position_embeddings " + shape.maxPositionEmbeddings() + "; lower data.seq_len");
        }
        // Only the process that actually tokenizes (one per node, see CorpusPreparer) shows progress.
        TrainingDatasets data = TrainingDatasets.build(config, tokenizer,
                console != null ? ProgressOutput.console() : ProgressOutput.none());
        TrainingConfig training = config.training();
        long globalBatch = config.globalBatchSize();
        if (data.train().size() < globalBatch) {
            throw TooFewSamples.error(config, data.train(), globalBatch);
        }

        try (DataParallel dp = dataParallel.apply(model.parameters().numParameters())) {
            DataLoader loader = new DataLoader(data.train(), config.run().seed(), config.data().shuffle(),
                    Math.toIntExact(globalBatch), training.perDeviceTrainBatchSize());
            boolean leader = dp.rank() == 0;
            if (leader) {
                prepareOutputDir(config, checkpoints);
            }
            AdamW optimizer = optimizer(config, model, dp, from);
            TrainingProgress progress = from == null ? new TrainingProgress() : new TrainingProgress(from.step(),
                    from.state().consumedSamples(), from.state().tokens(), from.state().skippedSteps(), from.state().elapsedS());
            double peak = config.device().peakFlops() != null ? config.device().peakFlops()
                    : PeakFlopsProbe.measure(PEAK_PROBE_SECONDS);
            ValidationLoss validation = data.validation() != null && training.evalSteps() > 0
                    ? new ValidationLoss(data.validation(), training.evalMaxSamples(), training.perDeviceTrainBatchSize()) : null;
            Consumer<String> out = leader ? console : null;
            if (out != null) {
                new StartupSummary(config, shape, model.parameters().numParameters(), data.train().size(), dp.worldSize(),
                        from, peak, memory.summary()).lines().forEach(out);
            }
            HfInferenceFiles hfFiles = HfInferenceFiles.of(tokenizer, TrainingDatasets.chatTemplate(config), shape.maxPositionEmbeddings());
            ProgressOutput shown = out != null ? ProgressOutput.console() : ProgressOutput.none();
            TrainingCheckpoints saver = new TrainingCheckpoints(config, model, optimizer, dp, config.tokenizer().path(), hfFiles,
                    shown);
            try (MetricsLog metrics = leader ? MetricsLog.open(outputDir, progress.step()) : null;
                 TensorBoardLog tensorboard = leader
                         ? TensorBoardLog.open(outputDir, config.run().name(), progress.step(), config.toYaml()) : null) {
                StepLog stepLog = leader ? m -> {
                    metrics.append(m);
                    tensorboard.append(m);
                } : null;
                Trainer trainer = new Trainer(training, config.checkpoint(), model, optimizer, dp,
                        index -> loader.microBatches(index, dp.rank(), dp.worldSize()), validation, saver, stepLog, out,
                        shape.flopsPerToken(config.data().seqLen()), peak, progress);
                trainer.run();
            }
            Path finalModel = outputDir.resolve(FINAL_DIR);
            Checkpoint last = checkpoints.newest().orElseThrow(() -> new TwllmException("no checkpoint in " + outputDir
                    + " after training; the run saves one after its last step"));
            if (leader) {
                ModelExport.export(last, finalModel, shown);
                if (out != null) {
                    out.accept("final model: " + finalModel);
                }
            }
            // No rank returns before rank 0 has exported the final model, which takes as long as a save.
            dp.barrier(TrainingCheckpoints.saveTimeoutNs(config, model.parameters().numParameters(), dp.worldSize()),
                    "the barrier after exporting the final model");
            return new Result(progress, last, finalModel);
        }
    }

    private static Checkpoint resumeCheckpoint(ResumeRequest resume, CheckpointDirectory checkpoints) {
        switch (resume.mode()) {
            case DIRECTORY:
                return Checkpoint.open(resume.checkpoint());
            case AUTO:
                Optional<Checkpoint> newest = checkpoints.resumable();
                newest.ifPresent(c -> LOG.info("resuming from {}", c.dir()));
                return newest.orElse(null);
            default:
                List<Path> existing = new ArrayList<>(checkpoints.complete());
                existing.addAll(checkpoints.damaged());
                if (!existing.isEmpty()) {
                    throw new ConfigException("the output directory already holds " + existing.get(existing.size() - 1).getFileName()
                            + " and resume is 'never'; resume it with --resume auto, or set run.output_dir to a new directory");
                }
                return null;
        }
    }

    private static LlamaModel initialModel(StageConfig config) {
        if (config.model().isRandomInit()) {
            return LlamaModel.random(config.model().architecture(), DataType.FLOAT, config.run().seed(),
                    config.model().initializerRange());
        }
        return Checkpoint.loadModel(config.model().init());
    }

    private static AdamW optimizer(StageConfig config, LlamaModel model, DataParallel dp, Checkpoint from) {
        TrainingConfig t = config.training();
        AdamW.Settings settings = new AdamW.Settings(t.adamBeta1(), t.adamBeta2(), t.adamEpsilon(), t.weightDecay());
        DecayMask mask = DecayMask.of(model.parameters().layout());
        if (from == null) {
            return new AdamW(settings, dp.ownedStart(), dp.ownedEnd(), mask);
        }
        OptimizerState state = from.optimizerState(dp.ownedStart(), dp.ownedEnd());
        return new AdamW(settings, dp.ownedStart(), dp.ownedEnd(), mask, state.expAvg(), state.expAvgSq(), state.updates());
    }

    /** Sweeps debris of a crashed save and records the resolved config of this run. */
    private static void prepareOutputDir(StageConfig config, CheckpointDirectory checkpoints) {
        Path dir = config.run().outputDir();
        try {
            Files.createDirectories(dir);
            checkpoints.sweepStale();
        } catch (IOException e) {
            throw new TwllmException("cannot prepare the output directory " + dir + ": " + e.getMessage(), e);
        }
        AtomicFiles.write(dir.resolve(Checkpoint.CONFIG_FILE), config.toYaml());
    }
}
