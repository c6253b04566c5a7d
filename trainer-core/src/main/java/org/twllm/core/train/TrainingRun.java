package org.twllm.core.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.LongFunction;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.twllm.core.checkpoint.Checkpoint;
import org.twllm.core.checkpoint.CheckpointDirectory;
import org.twllm.core.checkpoint.HfInferenceFiles;
import org.twllm.core.checkpoint.ModelExport;
import org.twllm.core.checkpoint.OptimizerState;
import org.twllm.core.checkpoint.ResumeCompatibility;
import org.twllm.core.config.DeviceConfig;
import org.twllm.core.config.StageConfig;
import org.twllm.core.config.TrainingConfig;
import org.twllm.core.io.HfModelDirectory;
import org.twllm.core.engine.LlamaConfig;
import org.twllm.core.engine.AdamWSettings;
import org.twllm.core.engine.Engine;
import org.twllm.core.engine.EngineFactory;
import org.twllm.core.engine.EngineSettings;
import org.twllm.core.engine.Engines;
import org.twllm.core.engine.GradientBuckets;
import org.twllm.core.engine.OwnedTensor;
import org.twllm.core.engine.Precision;
import org.twllm.core.engine.RandomWeights;
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
    public static final double PEAK_PROBE_SECONDS = 1.0;

    /** What a run left behind. */
    public record Result(TrainingProgress progress, Checkpoint lastCheckpoint, Path finalModel) {
    }

    private TrainingRun() {
    }

    /**
     * Fails with one sentence when this machine cannot run the config's engine (no CUDA driver or device). The CLI
     * asks before it creates or locks the run directory, so a refused run leaves nothing behind.
     */
    public static void requireEngineAvailable(StageConfig config) {
        enginesOf(config).requireAvailable();
    }

    private static EngineFactory enginesOf(StageConfig config) {
        return Engines.load(config.device().backend() == DeviceConfig.Backend.CUDA ? Engines.CUDA : Engines.CPU);
    }

    /**
     * @param dataParallel makes the data-parallel group once the parameter count is known ({@code SingleRank::new} for one process)
     * @param console      where progress lines go (rank 0 only), or null for none
     */
    public static Result run(StageConfig config, ResumeRequest resume, LongFunction<DataParallel> dataParallel,
                             Consumer<String> console) {
        UnsupportedSettings.requireSupported(config);
        EngineFactory engines = enginesOf(config);
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

        LlamaConfig shape = from != null ? HfModelDirectory.readConfig(from.modelDir())
                : config.model().isRandomInit() ? config.model().architecture() : Checkpoint.modelConfig(config.model().init());
        shape.requireVocab(tokenizer.vocabSize());
        if (config.data().seqLen() > shape.maxPositionEmbeddings()) {
            throw new ConfigException("data.seq_len " + config.data().seqLen() + " is longer than the model's"
                    + " max_position_embeddings " + shape.maxPositionEmbeddings() + "; lower data.seq_len");
        }
        engines.requireAvailable();
        // Only the process that actually tokenizes (one per node, see CorpusPreparer) shows progress.
        TrainingDatasets data = TrainingDatasets.build(config, tokenizer,
                console != null ? ProgressOutput.console() : ProgressOutput.none());
        TrainingConfig training = config.training();
        long globalBatch = config.globalBatchSize();
        if (data.train().size() < globalBatch) {
            throw TooFewSamples.error(config, data.train(), globalBatch);
        }

        long parameters = shape.numParameters();
        try (DataParallel dp = dataParallel.apply(parameters);
             Engine engine = engines.create(shape, engineSettings(config, dp))) {
            loadWeights(config, from, engine);
            DataLoader loader = new DataLoader(data.train(), config.run().seed(), config.data().shuffle(),
                    Math.toIntExact(globalBatch), training.perDeviceTrainBatchSize());
            boolean leader = dp.rank() == 0;
            if (leader) {
                prepareOutputDir(config, checkpoints);
            }
            TrainingProgress progress = from == null ? new TrainingProgress() : new TrainingProgress(from.step(),
                    from.state().consumedSamples(), from.state().tokens(), from.state().skippedSteps(), from.state().elapsedS());
            double peak = config.device().peakFlops() != null ? config.device().peakFlops()
                    : engines.measurePeakFlops(PEAK_PROBE_SECONDS);
            ValidationLoss validation = data.validation() != null && training.evalSteps() > 0
                    ? new ValidationLoss(data.validation(), training.evalMaxSamples(), training.perDeviceTrainBatchSize()) : null;
            Consumer<String> out = leader ? console : null;
            if (out != null) {
                new StartupSummary(config, shape, parameters, data.train().size(), dp.worldSize(),
                        from, peak, memory.summary()).lines().forEach(out);
            }
            HfInferenceFiles hfFiles = HfInferenceFiles.of(tokenizer, TrainingDatasets.chatTemplate(config), shape.maxPositionEmbeddings());
            ProgressOutput shown = out != null ? ProgressOutput.console() : ProgressOutput.none();
            TrainingCheckpoints saver = new TrainingCheckpoints(config, engine, dp, config.tokenizer().path(), hfFiles, shown);
            try (MetricsLog metrics = leader ? MetricsLog.open(outputDir, progress.step()) : null;
                 TensorBoardLog tensorboard = leader
                         ? TensorBoardLog.open(outputDir, config.run().name(), progress.step(), config.toYaml()) : null) {
                StepLog stepLog = leader ? m -> {
                    metrics.append(m);
                    tensorboard.append(m);
                } : null;
                Trainer trainer = new Trainer(training, config.checkpoint(), engine, dp,
                        index -> loader.microBatches(index, dp.rank(), dp.worldSize()), validation, saver, stepLog, out,
                        shape.flopsPerToken(config.data().seqLen()), peak, progress);
                trainer.run();
            }
            Path finalModel = outputDir.resolve(FINAL_DIR);
            Checkpoint last = checkpoints.newest().orElseThrow(() -> new TwllmException("no checkpoint in " + outputDir
                    + " after training; the run saves one after its last step"));
            if (leader) {
                ModelExport.export(last, finalModel, null, shown);
                if (out != null) {
                    out.accept("final model: " + finalModel);
                }
            }
            // No rank returns before rank 0 has exported the final model, which takes as long as a save.
            dp.barrier(TrainingCheckpoints.saveTimeoutNs(config, parameters, dp.worldSize()),
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

    /** The engine's set-up for this rank: its owned partition, the config's precision, gradients and optimizer. */
    static EngineSettings engineSettings(StageConfig config, DataParallel dp) {
        TrainingConfig t = config.training();
        return new EngineSettings(t.precision() == TrainingConfig.Precision.BF16 ? Precision.BF16 : Precision.FP32,
                dp.ownedStart(), dp.ownedEnd(), config.distributed().zeroStage() != 1,
                GradientBuckets.elementsOfMib(config.distributed().bucketSizeMb()),
                new AdamWSettings(t.adamBeta1(), t.adamBeta2(), t.adamEpsilon(), t.weightDecay()), t.gradientCheckpointing(),
                t.perDeviceTrainBatchSize(), config.data().seqLen());
    }

    /**
     * The weights to start from: the resumed checkpoint's (its compute weights, then its fp32 master weights and
     * AdamW moments of this rank's partition, from whichever saved ranges cover it), a random init, or
     * {@code model.init}'s model directory.
     */
    private static void loadWeights(StageConfig config, Checkpoint from, Engine engine) {
        if (from == null) {
            if (config.model().isRandomInit()) {
                RandomWeights.fill(engine.layout(), config.run().seed(), config.model().initializerRange(), engine::writeWeights);
            } else {
                HfModelDirectory.loadWeights(config.model().init(), engine.layout(), engine::writeWeights);
            }
            return;
        }
        HfModelDirectory.loadWeights(from.modelDir(), engine.layout(), engine::writeWeights);
        long start = engine.settings().ownedStart();
        long end = engine.settings().ownedEnd();
        try (OptimizerState saved = from.optimizerState()) {
            if (saved.hasMaster()) {
                saved.restore(OwnedTensor.MASTER, start, end, engine::writeOwned);
            } else if (engine.settings().precision() != Precision.FP32) {
                throw new TwllmException(from.dir() + " holds no fp32 master weights (saved by an older twllm), so a"
                        + " training.precision: bf16 run cannot continue from it exactly; resume it with training.precision: fp32");
            }
            saved.restore(OwnedTensor.EXP_AVG, start, end, engine::writeOwned);
            saved.restore(OwnedTensor.EXP_AVG_SQ, start, end, engine::writeOwned);
            engine.setOptimizerUpdates(saved.updates());
        }
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
