package org.twllm.sweep;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.twllm.errors.TwllmException;

/**
 * Runs a sweep's stages one after another on this machine. A finished stage ({@link StageMarker}) is
 * skipped; any other runs with {@code --resume auto}, so an interrupted one continues from its newest
 * checkpoint. A failed stage is reported and its run's later stages are left out; other runs go on.
 * After the last stage, the run is evaluated (once: {@code eval.json} in the run directory) when the
 * sweep has an {@code eval} section, and the report is written.
 */
public final class SweepRunner {
    /** Runs one {@code twllm} subcommand (in this process or a child) and returns its exit code. */
    @FunctionalInterface
    public interface Cli {
        int run(List<String> args);
    }

    public static final String EVAL_FILE = "eval.json";

    private final SweepPlan plan;
    private final Cli cli;
    private final PrintStream log;
    private final boolean leader;

    /** The runner of a single-process sweep. */
    public SweepRunner(SweepPlan plan, Cli cli, PrintStream log) {
        this(plan, cli, log, true);
    }

    /**
     * @param leader false on ranks other than 0 of a multi-rank Slurm job: they join each training stage
     *               but leave markers, evaluation and the report to rank 0
     */
    public SweepRunner(SweepPlan plan, Cli cli, PrintStream log, boolean leader) {
        this.plan = plan;
        this.cli = cli;
        this.log = log;
        this.leader = leader;
    }

    /** What one invocation of the sweep did. */
    public record Outcome(List<String> trained, List<String> skipped, List<String> evaluated, List<String> failed) {
    }

    /** Runs every stage (or only {@code onlyStageId} when not null), then writes the report. */
    public Outcome run(String onlyStageId) {
        if (leader) {
            PlanFile.write(plan);
        }
        List<String> trained = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        List<String> evaluated = new ArrayList<>();
        List<String> failed = new ArrayList<>();
        SweepPlan.Stage only = onlyStageId == null ? null : plan.stage(onlyStageId);
        for (SweepPlan.Run run : plan.runs()) {
            boolean chainOk = true;
            for (SweepPlan.Stage stage : run.stages()) {
                if (only != null && !only.id().equals(stage.id())) {
                    chainOk &= StageMarker.isDone(stage.outputDir());
                    continue;
                }
                if (!chainOk) {
                    log.printf("[sweep] %s: not started, an earlier stage of %s has not finished%n", stage.id(), run.name());
                    continue;
                }
                if (StageMarker.isDone(stage.outputDir())) {
                    log.printf("[sweep] %s: finished earlier, skipped%n", stage.id());
                    skipped.add(stage.id());
                    continue;
                }
                if (trainStage(stage)) {
                    trained.add(stage.id());
                } else {
                    failed.add(stage.id());
                    chainOk = false;
                }
            }
            boolean runDone = run.stages().stream().allMatch(s -> StageMarker.isDone(s.outputDir()));
            boolean evalHere = only == null || only.id().equals(run.last().id());
            if (leader && plan.spec().eval() != null && runDone && evalHere && !Files.exists(run.dir().resolve(EVAL_FILE))) {
                if (evaluate(run)) {
                    evaluated.add(run.name());
                } else {
                    failed.add(run.name() + " (eval)");
                }
            }
        }
        if (leader) {
            SweepReport report = SweepReport.write(plan.spec().outputDir());
            log.printf("[sweep] report: %s, %s, %s%n", report.markdown(), report.csv(), report.plot());
        }
        Outcome outcome = new Outcome(trained, skipped, evaluated, failed);
        if (!failed.isEmpty()) {
            throw new TwllmException("sweep " + plan.spec().name() + ": " + failed.size() + " step(s) failed: "
                    + String.join(", ", failed) + "; fix the cause and run the sweep again (finished stages are skipped, "
                    + "unfinished ones resume from their newest checkpoint)");
        }
        return outcome;
    }

    private boolean trainStage(SweepPlan.Stage stage) {
        log.printf("[sweep] %s: twllm %s%n", stage.id(), String.join(" ", stage.trainArgs()));
        int code = cli.run(stage.trainArgs());
        if (code != 0) {
            log.printf("[sweep] %s: twllm train exited with code %d%n", stage.id(), code);
            return false;
        }
        if (!leader) {
            return true;
        }
        if (!Files.isDirectory(stage.finalModel())) {
            log.printf("[sweep] %s: twllm train succeeded but wrote no %s%n", stage.id(), stage.finalModel());
            return false;
        }
        StageMarker.markDone(stage.outputDir());
        return true;
    }

    private boolean evaluate(SweepPlan.Run run) {
        List<String> args = evalArgs(plan.spec().eval(), run);
        log.printf("[sweep] %s: twllm %s%n", run.name(), String.join(" ", args));
        int code = cli.run(args);
        if (code != 0) {
            log.printf("[sweep] %s: twllm eval exited with code %d%n", run.name(), code);
        }
        return code == 0;
    }

    static List<String> evalArgs(SweepSpec.EvalSpec eval, SweepPlan.Run run) {
        List<String> args = new ArrayList<>(List.of("eval", "--model", run.last().finalModel().toString(),
                "--tasks", eval.tasks(), "--tokenizer", eval.tokenizer().toString(),
                "--out", run.dir().resolve(EVAL_FILE).toString()));
        if (eval.chatTemplate() != null) {
            args.add("--chat-template");
            args.add(eval.chatTemplate());
        }
        if (eval.maxExamples() > 0) {
            args.add("--max-examples");
            args.add(String.valueOf(eval.maxExamples()));
        }
        return args;
    }

    /** The plan as text, for {@code --dry-run}. */
    public static String describe(SweepPlan plan) {
        StringBuilder out = new StringBuilder();
        out.append("sweep ").append(plan.spec().name()).append(": ").append(plan.runs().size()).append(" run(s) in ")
                .append(plan.spec().outputDir()).append('\n');
        java.util.Set<String> listed = new java.util.HashSet<>();
        for (SweepPlan.Run run : plan.runs()) {
            for (SweepPlan.Stage s : run.stages()) {
                String status = StageMarker.isDone(s.outputDir()) ? "  [done] " : "  [todo] ";
                if (!listed.add(s.id())) {
                    out.append(status).append(s.id()).append(" (shared: runs once, listed above)\n");
                    continue;
                }
                out.append(status).append(s.id()).append('\n')
                        .append("         twllm ").append(String.join(" ", s.trainArgs())).append('\n');
            }
            if (plan.spec().eval() != null) {
                Path result = run.dir().resolve(EVAL_FILE);
                out.append(Files.exists(result) ? "  [done] " : "  [todo] ").append(run.name()).append(" eval\n")
                        .append("         twllm ").append(String.join(" ", evalArgs(plan.spec().eval(), run))).append('\n');
            }
        }
        return out.toString();
    }
}
