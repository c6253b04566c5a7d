package org.twllm.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import org.twllm.core.config.Stage;
import org.twllm.core.config.StageConfig;
import org.twllm.core.config.StageConfigLoader;
import org.twllm.core.train.ResumeRequest;
import org.twllm.core.train.SingleProcess;
import org.twllm.core.train.TrainingRun;
import org.twllm.errors.ConfigException;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code twllm train}: one stage (cpt, sft, feedback-sft) of one process, from a stage config. */
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

    @Override
    public Integer call() {
        Stage wanted = Stage.fromYaml(stage);
        if (wanted == null) {
            throw new ConfigException("--stage " + stage + " is not a stage; use cpt, sft or feedback-sft");
        }
        Path workDir = Path.of("").toAbsolutePath();
        StageConfig cfg = StageConfigLoader.load(config, sets, workDir);
        if (cfg.stage() != wanted) {
            throw new ConfigException("--stage " + stage + " does not match " + config + ", which is a " + cfg.stage().yamlName()
                    + " config; pass --stage " + cfg.stage().yamlName() + " or another config");
        }
        if (cfg.distributed().worldSize() != 1) {
            throw new ConfigException(config + " sets distributed.world_size " + cfg.distributed().worldSize()
                    + "; twllm train runs one process: use --set distributed.world_size=1, or the distributed launcher");
        }
        ResumeRequest request = ResumeRequest.parse(resume, cfg.checkpoint(), workDir);
        TrainingRun.run(cfg, request, SingleProcess::new, cfg.logging().console() ? System.out::println : null);
        return Main.EXIT_OK;
    }
}
