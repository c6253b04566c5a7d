package org.twllm.sweep;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.twllm.core.config.ConfigValidation;
import org.twllm.core.config.StageConfigLoader;
import org.twllm.errors.ConfigException;

/**
 * Checks every unfinished stage's resolved config before the sweep starts, so a typo in a grid key fails
 * in a second with every problem listed, not after hours of earlier runs.
 */
public final class SweepValidation {
    private SweepValidation() {
    }

    /**
     * @param checks {@code MISSING_INIT_IS_WARNING} to run here (a chained stage's model.init appears only when
     *               the stage before it finishes); {@code NONE} for plans and Slurm scripts meant for another machine
     */
    public static void check(SweepPlan plan, Path workDir, StageConfigLoader.FileChecks checks) {
        List<String> problems = new ArrayList<>();
        for (SweepPlan.Run run : plan.runs()) {
            for (SweepPlan.Stage stage : run.stages()) {
                if (StageMarker.isDone(stage.outputDir())) {
                    continue;
                }
                ConfigValidation v = StageConfigLoader.validate(stage.config(), stage.sets(), workDir, checks);
                for (String problem : v.problems()) {
                    problems.add(stage.id() + ": " + problem);
                }
                if (v.ok() && !v.config().stage().yamlName().equals(stage.stage())) {
                    problems.add(stage.id() + ": " + stage.config() + " is a " + v.config().stage().yamlName()
                            + " config but the sweep runs it as " + stage.stage() + "; fix 'stage' in " + plan.spec().file());
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
    }
}
