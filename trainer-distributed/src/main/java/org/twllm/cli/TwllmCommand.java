package org.twllm.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The root {@code twllm} command. Each subcommand is one class; only commands that work are listed. */
@Command(
        name = "twllm",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Train Llama-2 models for Traditional Chinese (Taiwan): cPT, SFT and Feedback SFT.",
        subcommands = {
            org.twllm.cli.config.ConfigCommand.class,
            org.twllm.cli.data.DataCommand.class,
            TrainCommand.class,
            ExportCommand.class,
            ScoreCommand.class,
            EvalCommand.class,
            GenerateCommand.class,
            ChatCommand.class,
            ServeCommand.class,
            SweepCommand.class,
            PlanCommand.class,
        })
public final class TwllmCommand implements Runnable {
    @Option(names = "--verbose", description = "Log at debug level and print stack traces on failure.", scope = picocli.CommandLine.ScopeType.INHERIT)
    boolean verbose;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
