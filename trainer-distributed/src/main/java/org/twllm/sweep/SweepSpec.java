package org.twllm.sweep;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A sweep file, parsed (see docs/sweeps.md). Runs are the variants crossed with the grid points: a
 * variant is a chain of stages (each with its own overrides); a grid point adds one value per grid key
 * to every stage of the chain. Without variants the chain is the file's top-level {@code stages}.
 *
 * @param outputDir  where runs go: {@code OUTPUT_DIR/RUN/STAGE_INDEX-STAGE}
 * @param commonSets overrides applied to every stage of every run, before variant and grid values
 * @param commandLineSets {@code twllm sweep --set} overrides, applied to every stage after the grid values
 * @param grid       key to its values, in file order
 * @param variants   name to its stage chain, in file order
 * @param eval       evaluation after each run's last stage, or null
 * @param slurm      settings of {@code --emit slurm}
 */
public record SweepSpec(String name, Path file, Path outputDir, List<String> commonSets, List<String> commandLineSets,
                        Map<String, List<String>> grid, Map<String, List<StageSpec>> variants,
                        EvalSpec eval, SlurmSpec slurm) {

    public SweepSpec {
        commonSets = List.copyOf(commonSets);
        commandLineSets = List.copyOf(commandLineSets);
        grid = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(grid));
        variants = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(variants));
    }

    /** This sweep with the command line's {@code --set} overrides (they win over the file's). */
    public SweepSpec withCommandLineSets(List<String> sets) {
        return new SweepSpec(name, file, outputDir, commonSets, sets, grid, variants, eval, slurm);
    }

    /**
     * What {@code twllm eval} gets after a run: {@code --tasks}, {@code --tokenizer}, {@code --chat-template}
     * (null: none), at most {@code maxExamples} examples a task (0: all).
     */
    public record EvalSpec(String tasks, Path tokenizer, String chatTemplate, int maxExamples) {
    }

    /**
     * {@code #SBATCH} settings for emitted job scripts; null fields are left out. Each of the
     * {@code nodes * tasksPerNode} tasks is one training rank (twllm train reads SLURM_PROCID and SLURM_NTASKS).
     */
    public record SlurmSpec(String partition, String account, String time, int nodes, int tasksPerNode, int gpusPerNode,
                            int cpusPerTask, List<String> extraDirectives) {
        public static final SlurmSpec DEFAULT = new SlurmSpec(null, null, "24:00:00", 1, 1, 8, 0, List.of());

        public SlurmSpec {
            extraDirectives = List.copyOf(extraDirectives);
        }
    }
}
