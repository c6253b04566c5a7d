package org.twllm.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import org.twllm.core.config.Stage;
import org.twllm.core.config.StageConfig;
import org.twllm.core.config.StageConfigLoader;
import org.twllm.core.train.ResumeRequest;
import org.twllm.core.train.RunDirectoryLock;
import org.twllm.core.train.TrainingRun;
import org.twllm.dist.launch.DataParallelFactory;
import org.twllm.dist.launch.LauncherWatch;
import org.twllm.dist.launch.LocalLauncher;
import org.twllm.dist.launch.RankEnvironment;
import org.twllm.errors.ConfigException;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code twllm train}: one stage (cpt, sft, feedback-sft) from a stage config, in this process, or as rank
 * of a distributed job when torchrun's or Slurm's variables are set, or as {@code --nproc} local workers.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Train one stage (cpt, sft or feedback-sft) from a stage config.",
                "Writes checkpoints, metrics.jsonl and the final model (<output_dir>/final) into run.output_dir."})
public final class TrainCommand implements Callable<Integer> {
    @Option(names = "--stage", required = true, paramLabel = "STAGE",
            description = "cpt, sft or feedback-sft; must be the config's stage.")
    String stage;

    @Option(names = "--config", required = true, paramLabel = "FILE", description = "The stage config (YAML).")
    Path config;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a config key, e.g. --set training.max_steps=50 (repeatable).")
    List<String> sets = new ArrayList<>();

    @Option(names = "--resume", paramLabel = "auto|never|DIR",
            description = "auto: continue from the newest checkpoint in run.output_dir; never: start fresh; "
                    + "DIR: continue from that checkpoint. Default: checkpoint.resume of the config (auto).")
    String resume;

    @Option(names = "--nproc", paramLabel = "N", defaultValue = "1",
            description = "Run N local worker processes as one data-parallel job (ZeRO-2 over Aeron). Default: 1.")
    int nproc;

    @Override
    public Integer call() {
        StageConfig cfg = load();
        TrainingRun.requireEngineAvailable(cfg);
        // The run's output directory is locked by rank 0, or by the launcher of --nproc workers for all of them.
        boolean launches = nproc > 1 && System.getenv("WORLD_SIZE") == null;
        try (RunDirectoryLock lock = launches || RankEnvironment.isRankZero(System.getenv())
                ? RunDirectoryLock.acquire(cfg.run().outputDir(), "twllm train --stage " + stage + " --config " + config) : null) {
            if (launches) {
                LocalLauncher.launch(nproc, workerArgs(), System.out);
                return Main.EXIT_OK;
            }
            LauncherWatch.startIfLaunched(System.getenv());
            ResumeRequest request = ResumeRequest.parse(resume, cfg.checkpoint(), Path.of("").toAbsolutePath());
            TrainingRun.run(cfg, request, DataParallelFactory.dataParallel(cfg, System.getenv()),
                    cfg.logging().console() ? System.out::println : null);
            return Main.EXIT_OK;
        }
    }

    /** The stage config, which must be of the --stage given (with --nproc as the workers will load it). */
    private StageConfig load() {
        Stage wanted = Stage.fromYaml(stage);
        if (wanted == null) {
            throw new ConfigException("--stage " + stage + " is not a stage; use cpt, sft or feedback-sft");
        }
        List<String> all = new ArrayList<>(sets);
        if (nproc > 1) {
            all.add("distributed.world_size=" + nproc);
        }
        StageConfig cfg = StageConfigLoader.load(config, all, Path.of("").toAbsolutePath());
        if (cfg.stage() != wanted) {
            throw new ConfigException("--stage " + stage + " does not match " + config + ", which is a " + cfg.stage().yamlName()
                    + " config; pass --stage " + cfg.stage().yamlName() + " or another config");
        }
        return cfg;
    }

    /** This command for each worker: the same flags, with the world size set to --nproc. */
    private List<String> workerArgs() {
        List<String> args = new ArrayList<>(List.of("train", "--stage", stage, "--config", config.toAbsolutePath().toString()));
        for (String set : sets) {
            args.add("--set");
            args.add(set);
        }
        args.add("--set");
        args.add("distributed.world_size=" + nproc);
        if (resume != null) {
            args.add("--resume");
            args.add(resume);
        }
        return args;
    }
}
