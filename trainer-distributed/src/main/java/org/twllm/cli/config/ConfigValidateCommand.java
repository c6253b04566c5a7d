package org.twllm.cli.config;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;

import org.twllm.core.config.StageConfig;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code twllm config validate FILE}: every problem of a config, each with file:line:col and key. */
@Command(name = "validate", mixinStandardHelpOptions = true,
        description = {"Check a stage config: keys, types, ranges, input files. Prints every problem (exit 2) or 'ok'.",
                "A model.init that an earlier stage has not produced yet is a warning here (twllm train refuses it)."})
public final class ConfigValidateCommand implements Callable<Integer> {
    @Mixin
    ConfigFileOptions options;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        StageConfig config = options.validate(spec.commandLine().getErr()).config();
        String model = config.model().isRandomInit()
                ? String.format(Locale.ROOT, "%,d parameters", config.model().architecture().numParameters())
                : "model from " + config.model().init();
        PrintWriter out = spec.commandLine().getOut();
        out.println("ok: " + options.file + " (stage " + config.stage().yamlName() + ", " + model + ")");
        out.flush();
        return 0;
    }
}
