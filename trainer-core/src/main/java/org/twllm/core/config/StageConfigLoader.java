package org.twllm.core.config;

import java.nio.file.Path;
import java.util.List;

import org.twllm.errors.ConfigException;

/**
 * Reads a stage config: the YAML file and its {@code base:} chain, then {@code --set key.path=value}
 * overrides, then checks every value and input file, reporting all problems at once.
 * Relative paths in the config resolve against the working directory; {@code base:} resolves
 * against the file that names it.
 */
public final class StageConfigLoader {

    /** Which input files validation requires to exist. */
    public enum FileChecks {
        /** Everything must exist: what {@code twllm train} uses. */
        ALL,
        /**
         * A missing {@code model.init} is only a warning (an earlier stage has not produced it yet):
         * what {@code twllm config validate} uses. Everything else must exist.
         */
        MISSING_INIT_IS_WARNING,
        /**
         * Input files (model.init, tokenizer.path, data sources) are not required to exist; files
         * that do exist are still read and checked. For configs written for another machine
         * (the llama2-7b/13b configs in tests).
         */
        NONE
    }

    private StageConfigLoader() {
    }

    /**
     * The validated config with every input file required to exist.
     *
     * @throws ConfigException listing every problem, each with file, line:column and key path
     */
    public static StageConfig load(Path file, List<String> setOverrides, Path workDir) {
        ConfigValidation result = validate(file, setOverrides, workDir, FileChecks.ALL);
        if (!result.ok()) {
            throw new ConfigException(result.problems());
        }
        return result.config();
    }

    /** Validates without throwing: the config (when valid), the problems and the warnings. */
    public static ConfigValidation validate(Path file, List<String> setOverrides, Path workDir, FileChecks checks) {
        Path absoluteWorkDir = workDir.toAbsolutePath().normalize();
        Problems problems = new Problems();
        LocatedTree tree = new ConfigTreeBuilder(absoluteWorkDir, problems).build(file, setOverrides);
        StageConfig config = null;
        if (tree != null) {
            config = new StageConfigBinder(tree, problems, absoluteWorkDir, checks).bind();
        }
        return new ConfigValidation(problems.isEmpty() ? config : null, problems.problems(), problems.warnings());
    }
}
