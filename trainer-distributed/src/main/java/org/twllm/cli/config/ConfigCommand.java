package org.twllm.cli.config;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code twllm config}: check and print stage configs. */
@Command(name = "config", mixinStandardHelpOptions = true,
        description = "Check a stage config (validate) or print it fully resolved (show).",
        subcommands = {
            ConfigValidateCommand.class,
            ConfigShowCommand.class,
        })
public final class ConfigCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
