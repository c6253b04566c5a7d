package org.twllm.cli.data;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code twllm data}: the data tools, one subcommand each. */
@Command(name = "data", mixinStandardHelpOptions = true,
        description = "Data tools; see the subcommands.",
        subcommands = {
            DataEncodeCommand.class,
            DataPrepareCommand.class,
            DataInspectCommand.class,
        })
public final class DataCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
