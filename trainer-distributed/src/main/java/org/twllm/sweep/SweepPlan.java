package org.twllm.sweep;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.twllm.errors.ConfigException;

/**
 * The runs a sweep expands to: every variant crossed with every grid point, each a chain of stages.
 * A stage's overrides are, in order (later wins): the sweep's {@code set}, the stage's own {@code set},
 * the grid values, the command line's {@code --set}, then what the sweep fixes: for every stage after the first, {@code model.init} pointing
 * at the previous stage's {@code final} model, and the stage's output directory. A stage whose chain so far
 * equals another run's (same configs and overrides) is that run's stage: it runs once, in the directory of
 * the run that first has it, and both runs continue from its final model.
 */
public record SweepPlan(SweepSpec spec, List<Run> runs) {
    /** Config key of a stage's output directory. */
    public static final String OUTPUT_DIR_KEY = "run.output_dir";
    /** Config key of the weights a stage starts from. */
    public static final String INIT_KEY = "model.init";
    /** Config key of the run name written to metrics and logs. */
    public static final String RUN_NAME_KEY = "run.name";
    /** Directory inside a stage's output directory holding the finished model (written by {@code twllm train}). */
    public static final String FINAL_DIR = "final";

    /** One run: a name (its directory), its grid values, and its stages in order. */
    public record Run(String name, String variant, Map<String, String> gridValues, List<Stage> stages, Path dir) {
        public Stage last() {
            return stages.get(stages.size() - 1);
        }
    }

    /** One stage of a run, fully resolved: {@code twllm train --stage STAGE --config CONFIG --set ...}. */
    public record Stage(String runName, int index, String stage, Path config, List<String> sets, Path outputDir) {
        /** "RUN/INDEX-STAGE", how logs, Slurm jobs and {@code --only} name it. */
        public String id() {
            return runName + "/" + outputDir.getFileName();
        }

        public Path finalModel() {
            return outputDir.resolve(FINAL_DIR);
        }

        /** Arguments of {@code twllm train} for this stage (resuming from its newest checkpoint if any). */
        public List<String> trainArgs() {
            List<String> args = new ArrayList<>(List.of("train", "--stage", stage, "--config", config.toString()));
            for (String set : sets) {
                args.add("--set");
                args.add(set);
            }
            args.add("--resume");
            args.add("auto");
            return args;
        }
    }

    public static SweepPlan of(SweepSpec spec) {
        List<Map<String, String>> points = gridPoints(spec.grid());
        List<Run> runs = new ArrayList<>();
        Set<String> names = new HashSet<>();
        // Stages with the same config, overrides and starting weights are run once and shared by every run
        // whose chain begins with them (the paper's ablations share one cPT between several SFT variants).
        Map<String, Stage> shared = new HashMap<>();
        for (Map.Entry<String, List<StageSpec>> variant : spec.variants().entrySet()) {
            for (Map<String, String> point : points) {
                String name = runName(variant.getKey(), point);
                if (!names.add(name)) {
                    throw new ConfigException("sweep " + spec.file() + ": two runs are both named '" + name + "'; rename a variant");
                }
                Path dir = spec.outputDir().resolve(name);
                List<Stage> stages = new ArrayList<>();
                Path previousFinal = null;
                String chainKey = "";
                List<StageSpec> chain = variant.getValue();
                for (int i = 0; i < chain.size(); i++) {
                    StageSpec s = chain.get(i);
                    Path out = dir.resolve((i + 1) + "-" + s.stage());
                    List<String> sets = new ArrayList<>(spec.commonSets());
                    sets.addAll(s.sets());
                    point.forEach((key, value) -> {
                        int colon = key.indexOf(':');
                        if (colon < 0) {
                            sets.add(key + "=" + value);
                        } else if (key.substring(0, colon).equals(s.stage())) {
                            sets.add(key.substring(colon + 1) + "=" + value);
                        }
                    });
                    sets.addAll(spec.commandLineSets());
                    if (previousFinal != null) {
                        sets.add(INIT_KEY + "=" + previousFinal);
                    }
                    chainKey = chainKey + "\n" + s.stage() + " " + s.config() + " " + String.join(" ", sets);
                    Stage stage = shared.get(chainKey);
                    if (stage == null) {
                        sets.add(OUTPUT_DIR_KEY + "=" + out);
                        sets.add(RUN_NAME_KEY + "=" + spec.name() + "/" + name + "/" + s.stage());
                        stage = new Stage(name, i, s.stage(), s.config(), sets, out);
                        shared.put(chainKey, stage);
                    }
                    stages.add(stage);
                    previousFinal = stage.finalModel();
                }
                runs.add(new Run(name, variant.getKey(), point, stages, dir));
            }
        }
        return new SweepPlan(spec, List.copyOf(runs));
    }

    /** The stage called "RUN/INDEX-STAGE" (or the only stage of RUN). */
    public Stage stage(String id) {
        for (Run run : runs) {
            for (Stage s : run.stages()) {
                if (s.id().equals(id) || (run.stages().size() == 1 && run.name().equals(id))) {
                    return s;
                }
            }
        }
        throw new ConfigException("the sweep has no stage '" + id + "'; stages are named RUN/INDEX-STAGE, e.g. "
                + runs.get(0).stages().get(0).id());
    }

    /** Every combination of grid values, the first key varying slowest (one empty point without a grid). */
    static List<Map<String, String>> gridPoints(Map<String, List<String>> grid) {
        List<Map<String, String>> points = new ArrayList<>();
        points.add(new LinkedHashMap<>());
        for (Map.Entry<String, List<String>> axis : grid.entrySet()) {
            List<Map<String, String>> next = new ArrayList<>();
            for (Map<String, String> p : points) {
                for (String value : axis.getValue()) {
                    Map<String, String> q = new LinkedHashMap<>(p);
                    q.put(axis.getKey(), value);
                    next.add(q);
                }
            }
            points = next;
        }
        return points;
    }

    /** "variant_key=value_..." with each key's last segment; characters unsafe in paths become '-'. */
    static String runName(String variant, Map<String, String> point) {
        List<String> parts = new ArrayList<>();
        if (!variant.isEmpty()) {
            parts.add(variant);
        }
        point.forEach((key, value) -> parts.add(key.substring(Math.max(key.lastIndexOf('.'), key.lastIndexOf(':')) + 1) + "=" + value));
        String name = parts.isEmpty() ? "run" : String.join("_", parts);
        return name.replaceAll("[^A-Za-z0-9._=+-]", "-");
    }
}
