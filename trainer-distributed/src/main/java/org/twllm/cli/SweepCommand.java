package org.twllm.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;

import org.twllm.core.config.StageConfigLoader;
import org.twllm.core.train.RunDirectoryLock;
import org.twllm.dist.launch.RankEnvironment;
import org.twllm.errors.ConfigException;
import org.twllm.sweep.ChildProcessCli;
import org.twllm.sweep.SlurmEmitter;
import org.twllm.sweep.SweepFile;
import org.twllm.sweep.SweepPlan;
import org.twllm.sweep.SweepReport;
import org.twllm.sweep.SweepRunner;
import org.twllm.sweep.SweepValidation;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code twllm sweep}: runs (or plans, or emits Slurm jobs for) every run of a sweep file; {@code sweep report DIR}. */
@Command(name = "sweep", mixinStandardHelpOptions = true,
        subcommands = SweepCommand.Report.class,
        description = {"Run an ablation sweep (see docs/sweeps.md): every variant x grid point, each with its own output",
            "directory. Finished runs are skipped and interrupted ones resume, so running it again continues the sweep."})
public final class SweepCommand implements Callable<Integer> {
    @Option(names = "--config", paramLabel = "SWEEP.yaml", description = "The sweep file (e.g. configs/sweeps/tiny-ablations.yaml).")
    Path config;

    @Option(names = "--dry-run", description = "Print the runs, their status and their twllm commands; run nothing.")
    boolean dryRun;

    @Option(names = "--emit", paramLabel = "slurm", description = "Write Slurm batch scripts and a submit script instead of running.")
    String emit;

    @Option(names = "--only", paramLabel = "RUN/STAGE", description = "Run just this stage (and the run's eval after its last stage).")
    String only;

    @Option(names = "--child-processes", description = "Run each twllm train/eval in its own JVM instead of this one.")
    boolean childProcesses;

    @Option(names = "--set", paramLabel = "KEY=VALUE",
            description = "Override a key in every stage of every run, after the sweep file's own values (e.g. a smoke test: --set training.max_steps=5).")
    java.util.List<String> sets = new java.util.ArrayList<>();

    @Override
    public Integer call() {
        if (config == null) {
            throw new ConfigException("twllm sweep needs --config SWEEP.yaml (or the subcommand: twllm sweep report DIR)");
        }
        Path workDir = Path.of("").toAbsolutePath();
        SweepPlan plan = SweepPlan.of(SweepFile.read(config, workDir).withCommandLineSets(sets));
        boolean runsHere = !dryRun && emit == null;
        SweepValidation.check(plan, workDir, runsHere ? StageConfigLoader.FileChecks.MISSING_INIT_IS_WARNING : StageConfigLoader.FileChecks.NONE);
        if (dryRun) {
            System.out.print(SweepRunner.describe(plan));
            return Main.EXIT_OK;
        }
        if (emit != null) {
            if (!emit.equals("slurm")) {
                throw new ConfigException("--emit " + emit + " is not supported: use --emit slurm");
            }
            Path submit = SlurmEmitter.emit(plan, workDir, launcher());
            System.out.println("wrote Slurm jobs; submit them with: bash " + submit);
            return Main.EXIT_OK;
        }
        SweepRunner.Cli cli = childProcesses ? new ChildProcessCli(Main.class.getName()) : args -> Main.run(args.toArray(String[]::new));
        boolean rankZero = RankEnvironment.isRankZero(System.getenv());
        SweepRunner.Outcome outcome;
        try (RunDirectoryLock lock = rankZero ? RunDirectoryLock.acquire(plan.spec().outputDir(), "twllm sweep --config " + config) : null) {
            outcome = new SweepRunner(plan, cli, System.out, rankZero).run(only);
        }
        System.out.printf("[sweep] trained %d stage(s), skipped %d finished, evaluated %d run(s); report in %s%n",
                outcome.trained().size(), outcome.skipped().size(), outcome.evaluated().size(), plan.spec().outputDir());
        return Main.EXIT_OK;
    }

    private static Path launcher() {
        String home = System.getProperty("twllm.home");
        return home != null ? Path.of(home, "scripts", "twllm") : Path.of("scripts", "twllm").toAbsolutePath();
    }

    /** {@code twllm sweep report DIR}: rewrites report.md, report.csv and loss.png from a sweep directory. */
    @Command(name = "report", mixinStandardHelpOptions = true,
            description = "Summarise a sweep directory: report.md and report.csv (final losses, eval metrics per run) and loss.png.")
    static final class Report implements Callable<Integer> {
        @Parameters(paramLabel = "DIR", description = "The sweep's output directory (holding plan.json).")
        Path dir;

        @Override
        public Integer call() {
            SweepReport report = SweepReport.write(dir.toAbsolutePath());
            System.out.print(java.nio.file.Files.exists(report.markdown()) ? readQuietly(report.markdown()) : "");
            System.out.println("wrote " + report.markdown() + ", " + report.csv() + ", " + report.plot());
            return Main.EXIT_OK;
        }

        private static String readQuietly(Path file) {
            try {
                return java.nio.file.Files.readString(file);
            } catch (java.io.IOException e) {
                return "";
            }
        }
    }
}
