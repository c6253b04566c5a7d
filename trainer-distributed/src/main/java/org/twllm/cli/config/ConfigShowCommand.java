package org.twllm.cli.config;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code twllm config show FILE}: the config after base:, --set and defaults, as YAML. */
@Command(name = "show", mixinStandardHelpOptions = true,
        description = "Print a stage config fully resolved: base: merged, --set applied, every default filled in, paths absolute.")
public final class ConfigShowCommand implements Callable<Integer> {
    @Mixin
    ConfigFileOptions options;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        String yaml = options.validate(spec.commandLine().getErr()).config().toYaml();
        PrintWriter out = spec.commandLine().getOut();
        out.print(yaml);
        out.flush();
        return 0;
    }
}
