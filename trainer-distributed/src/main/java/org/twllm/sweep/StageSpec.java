package org.twllm.sweep;

import java.nio.file.Path;
import java.util.List;

/**
 * One training stage of a sweep run: {@code twllm train --stage STAGE --config CONFIG --set ...}.
 *
 * @param stage  cpt, sft or feedback-sft
 * @param config the stage config file (absolute)
 * @param sets   {@code key.path=value} overrides for this stage
 */
public record StageSpec(String stage, Path config, List<String> sets) {
    public StageSpec {
        sets = List.copyOf(sets);
    }
}
