package org.twllm.sweep;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

import org.twllm.files.AtomicFiles;

/**
 * Writes one Slurm batch script per unfinished stage and a {@code submit.sh} that submits them with
 * {@code --dependency=afterok} between the stages of a chain (a stage shared by several runs is one job).
 * Each job runs {@code srun scripts/twllm sweep --config SWEEP --only RUN/STAGE} on every rank, so it does
 * what the local sweep does for that stage: skip if finished, resume from a checkpoint, and on rank 0 mark
 * it done, evaluate after the run's last stage and refresh the report.
 */
public final class SlurmEmitter {
    private SlurmEmitter() {
    }

    /** Writes the scripts under {@code SWEEP_DIR/slurm/} and returns the submit script. */
    public static Path emit(SweepPlan plan, Path workDir, Path launcher) {
        SweepSpec spec = plan.spec();
        Path dir = spec.outputDir().resolve("slurm");
        PlanFile.write(plan);
        StringBuilder submit = new StringBuilder();
        submit.append("#!/usr/bin/env bash\n")
                .append("# Submits the unfinished stages of sweep ").append(spec.name())
                .append("; a chain's later stages wait for the earlier ones (afterok).\n")
                .append("set -euo pipefail\ncd \"$(dirname \"$0\")\"\n");
        int jobs = 0;
        java.util.Map<String, String> jobOfStage = new java.util.HashMap<>();
        for (SweepPlan.Run run : plan.runs()) {
            String previousVar = null;
            for (SweepPlan.Stage stage : run.stages()) {
                if (StageMarker.isDone(stage.outputDir())) {
                    continue;
                }
                if (jobOfStage.containsKey(stage.id())) {
                    previousVar = jobOfStage.get(stage.id()); // shared with an earlier run: one job
                    continue;
                }
                String fileName = run.name() + "__" + stage.outputDir().getFileName() + ".sbatch";
                AtomicFiles.write(dir.resolve(fileName), batchScript(spec, stage, workDir, launcher));
                String var = "job" + (++jobs);
                jobOfStage.put(stage.id(), var);
                submit.append(var).append("=$(sbatch --parsable ");
                if (previousVar != null) {
                    submit.append("--dependency=afterok:$").append(previousVar).append(' ');
                }
                submit.append(fileName).append(")\necho \"").append(stage.id()).append(": job $").append(var).append("\"\n");
                previousVar = var;
            }
        }
        if (jobs == 0) {
            submit.append("echo \"every stage of the sweep has finished; nothing to submit\"\n");
        }
        Path script = dir.resolve("submit.sh");
        AtomicFiles.write(script, submit.toString());
        makeExecutable(script);
        return script;
    }

    static String batchScript(SweepSpec spec, SweepPlan.Stage stage, Path workDir, Path launcher) {
        SweepSpec.SlurmSpec s = spec.slurm();
        List<String> lines = new ArrayList<>();
        lines.add("#!/usr/bin/env bash");
        lines.add("#SBATCH --job-name=" + spec.name() + "-" + stage.runName() + "-" + stage.stage());
        lines.add("#SBATCH --nodes=" + s.nodes());
        lines.add("#SBATCH --ntasks-per-node=" + s.tasksPerNode());
        if (s.gpusPerNode() > 0) {
            lines.add("#SBATCH --gpus-per-node=" + s.gpusPerNode());
        }
        if (s.cpusPerTask() > 0) {
            lines.add("#SBATCH --cpus-per-task=" + s.cpusPerTask());
        }
        if (s.time() != null) {
            lines.add("#SBATCH --time=" + s.time());
        }
        if (s.partition() != null) {
            lines.add("#SBATCH --partition=" + s.partition());
        }
        if (s.account() != null) {
            lines.add("#SBATCH --account=" + s.account());
        }
        lines.add("#SBATCH --output=" + stage.outputDir().resolve("slurm-%j.out"));
        for (String directive : s.extraDirectives()) {
            lines.add("#SBATCH " + directive);
        }
        lines.add("# Sweep " + spec.name() + ", stage " + stage.id() + ". Re-submitting is safe: a finished stage is");
        lines.add("# skipped and an interrupted one resumes from its newest checkpoint.");
        lines.add("set -euo pipefail");
        lines.add("mkdir -p " + quote(stage.outputDir().toString()));
        lines.add("cd " + quote(workDir.toString()));
        // srun starts one task per rank; rank 0 also writes the done marker, evaluates and refreshes the report.
        StringBuilder command = new StringBuilder("srun " + quote(launcher.toString()) + " sweep --config " + quote(spec.file().toString()));
        for (String set : spec.commandLineSets()) {
            command.append(" --set ").append(quote(set));
        }
        lines.add(command.append(" --only ").append(quote(stage.id())).toString());
        return String.join("\n", lines) + "\n";
    }

    private static String quote(String s) {
        return s.matches("[A-Za-z0-9_./=:+-]+") ? s : "'" + s.replace("'", "'\\''") + "'";
    }

    private static void makeExecutable(Path file) {
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (java.io.IOException | UnsupportedOperationException ignored) {
            // Not a POSIX file system: the user runs "bash submit.sh".
        }
    }
}
