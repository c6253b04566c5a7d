package org.twllm.cli.config;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.twllm.core.config.ConfigValidation;
import org.twllm.core.config.StageConfigLoader;
import org.twllm.core.config.StageConfigLoader.FileChecks;
import org.twllm.errors.ConfigException;

import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The config file and --set overrides that config validate and config show share. */
final class ConfigFileOptions {
    @Parameters(index = "0", paramLabel = "FILE", description = "The stage config (YAML).")
    Path file;

    @Option(names = "--set", paramLabel = "KEY=VALUE",
            description = "Override a config key, e.g. --set training.learning_rate=2e-5 or data.sources.0.weight=2 (repeatable).")
    List<String> sets = new ArrayList<>();

    /**
     * Validates like {@code twllm train} does, except that a missing model.init (made by an earlier
     * stage not run yet) is a warning. Prints the warnings; throws with every problem.
     */
    ConfigValidation validate(PrintWriter err) {
        ConfigValidation result = StageConfigLoader.validate(file, sets, Path.of("").toAbsolutePath(),
                FileChecks.MISSING_INIT_IS_WARNING);
        result.warnings().forEach(w -> err.println("warning: " + w));
        err.flush();
        if (!result.ok()) {
            throw new ConfigException(result.problems());
        }
        return result;
    }
}
