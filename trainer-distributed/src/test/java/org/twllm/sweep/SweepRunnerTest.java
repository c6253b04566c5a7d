package org.twllm.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twllm.errors.ConfigException;
import org.twllm.errors.TwllmException;

/**
 * The sweep's planning, resumption, Slurm scripts and report, with a stand-in for {@code twllm train}
 * whose losses are known (the real trainer runs in SweepEndToEndTest).
 */
class SweepRunnerTest {
    @TempDir
    Path work;

    /** Stands in for twllm: train writes metrics (loss = lr * 1000 / step + layers) and final/; eval writes eval.json. */
    private static final class FakeCli implements SweepRunner.Cli {
        final List<List<String>> calls = new ArrayList<>();
        String failRunContaining;
        int steps = 4;

        @Override
        public int run(List<String> args) {
            calls.add(args);
            try {
                if (args.get(0).equals("train")) {
                    return train(args);
                }
                Path out = Path.of(value(args, "--out"));
                Files.writeString(out, "{\"tasks\": {\"qa\": {\"metrics\": {\"exact_match\": 0.25, \"prefix_exact_match\": 0.5}}}}");
                return 0;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private int train(List<String> args) throws IOException {
            Path out = Path.of(set(args, "run.output_dir"));
            double lr = Double.parseDouble(set(args, "training.learning_rate"));
            int layers = Integer.parseInt(set(args, "model.num_hidden_layers"));
            Files.createDirectories(out);
            int start = Files.isDirectory(out.resolve("checkpoint-2")) ? 2 : 0;
            StringBuilder metrics = new StringBuilder();
            for (int step = 1; step <= steps; step++) {
                if (step <= start) {
                    metrics.append(Files.readAllLines(out.resolve("metrics.jsonl")).get(step - 1)).append('\n');
                    continue;
                }
                double loss = lr * 1000 / step + layers;
                metrics.append(String.format(Locale.ROOT, "{\"step\": %d, \"loss\": %.6f%s}%n", step, loss,
                        step % 2 == 0 ? String.format(Locale.ROOT, ", \"val_loss\": %.6f", loss + 0.1) : ""));
                if (step == 2) {
                    Files.createDirectories(out.resolve("checkpoint-2"));
                }
                if (step == 3 && failRunContaining != null && out.toString().contains(failRunContaining)) {
                    Files.writeString(out.resolve("metrics.jsonl"), metrics + "{\"step\": 4, \"lo");
                    return 1; // killed mid-run: a checkpoint, a torn metrics line, no final/
                }
            }
            Files.writeString(out.resolve("metrics.jsonl"), metrics);
            Files.createDirectories(out.resolve("final"));
            return 0;
        }

        static String set(List<String> args, String key) {
            String found = null;
            for (int i = 0; i < args.size() - 1; i++) {
                if (args.get(i).equals("--set") && args.get(i + 1).startsWith(key + "=")) {
                    found = args.get(i + 1).substring(key.length() + 1);
                }
            }
            return found;
        }

        static String value(List<String> args, String flag) {
            return args.get(args.indexOf(flag) + 1);
        }
    }

    private Path sweepFile(String body) throws IOException {
        Files.createDirectories(work.resolve("configs"));
        Files.writeString(work.resolve("configs/cpt.yaml"), "stage: cpt\n");
        Files.writeString(work.resolve("configs/sft.yaml"), "stage: sft\n");
        Files.writeString(work.resolve("configs/feedback.yaml"), "stage: feedback-sft\n");
        Path file = work.resolve("sweep.yaml");
        Files.writeString(file, body);
        return file;
    }

    private static final String GRID_SWEEP = String.join("\n",
            "name: grid",
            "output_dir: out/grid",
            "set: [training.max_steps=4]",
            "stages:",
            "  - {stage: cpt, config: configs/cpt.yaml}",
            "grid:",
            "  training.learning_rate: [1.0e-3, 2.0e-3]",
            "  model.num_hidden_layers: [1, 2]",
            "eval:",
            "  tasks: {qa: data/qa.jsonl}",
            "  tokenizer: tok.model",
            "  chat_template: taiwan-llm",
            "");

    @Test
    void gridExpandsToFourRunsWithOwnOutputDirs() throws IOException {
        SweepPlan plan = SweepPlan.of(SweepFile.read(sweepFile(GRID_SWEEP), work));
        assertEquals(List.of("learning_rate=0.001_num_hidden_layers=1", "learning_rate=0.001_num_hidden_layers=2",
                "learning_rate=0.002_num_hidden_layers=1", "learning_rate=0.002_num_hidden_layers=2"),
                plan.runs().stream().map(SweepPlan.Run::name).toList());
        SweepPlan.Stage s = plan.runs().get(3).stages().get(0);
        assertEquals(work.resolve("out/grid/learning_rate=0.002_num_hidden_layers=2/1-cpt"), s.outputDir());
        assertTrue(s.trainArgs().containsAll(List.of("--set", "training.max_steps=4", "training.learning_rate=0.002",
                "model.num_hidden_layers=2", "run.output_dir=" + s.outputDir(), "--resume", "auto")), s.trainArgs().toString());
    }

    @Test
    void sweepRunsEveryRunThenResumesOnlyTheInterruptedOne() throws IOException {
        SweepPlan plan = SweepPlan.of(SweepFile.read(sweepFile(GRID_SWEEP), work));
        FakeCli cli = new FakeCli();
        cli.failRunContaining = "learning_rate=0.002_num_hidden_layers=1";
        PrintStream log = new PrintStream(new ByteArrayOutputStream(), true, java.nio.charset.StandardCharsets.UTF_8);
        TwllmException failure = assertThrows(TwllmException.class, () -> new SweepRunner(plan, cli, log).run(null));
        assertTrue(failure.getMessage().contains("learning_rate=0.002_num_hidden_layers=1/1-cpt"), failure.getMessage());
        // Three runs trained and evaluated, the interrupted one neither.
        assertEquals(4 + 3, cli.calls.size());
        SweepReport partial = SweepReport.write(plan.spec().outputDir());
        assertEquals("partial (0/1 stages)", partial.row("learning_rate=0.002_num_hidden_layers=1").get("status"));
        assertEquals("3", partial.row("learning_rate=0.002_num_hidden_layers=1").get("steps"));

        cli.calls.clear();
        cli.failRunContaining = null;
        SweepRunner.Outcome again = new SweepRunner(plan, cli, log).run(null);
        assertEquals(List.of("learning_rate=0.002_num_hidden_layers=1/1-cpt"), again.trained());
        assertEquals(3, again.skipped().size());
        assertEquals(List.of("learning_rate=0.002_num_hidden_layers=1"), again.evaluated());
        assertEquals(2, cli.calls.size());

        SweepReport report = SweepReport.write(plan.spec().outputDir());
        assertEquals(List.of("run", "status", "training.learning_rate", "model.num_hidden_layers", "steps",
                "final_train_loss", "final_val_loss", "qa/exact_match", "qa/prefix_exact_match"), report.columns());
        for (SweepPlan.Run run : plan.runs()) {
            double lr = Double.parseDouble(run.gridValues().get("training.learning_rate"));
            int layers = Integer.parseInt(run.gridValues().get("model.num_hidden_layers"));
            var row = report.row(run.name());
            assertEquals("done", row.get("status"));
            assertEquals("4", row.get("steps"));
            assertEquals(lr * 1000 / 4 + layers, Double.parseDouble(row.get("final_train_loss")), 1e-4);
            assertEquals(lr * 1000 / 4 + layers + 0.1, Double.parseDouble(row.get("final_val_loss")), 1e-4);
            assertEquals("0.2500", row.get("qa/exact_match"));
        }
        String csv = Files.readString(report.csv());
        assertEquals(5, csv.lines().count());
        assertTrue(csv.startsWith("run,status,training.learning_rate,"), csv);
        String markdown = Files.readString(report.markdown());
        assertTrue(markdown.contains("| learning_rate=0.001_num_hidden_layers=1 | done | 0.001 | 1 | 4 | 1.2500 | 1.3500 | 0.2500 | 0.5000 |"), markdown);
        var image = ImageIO.read(report.plot().toFile());
        assertEquals(1100, image.getWidth());
    }

    @Test
    void chainedVariantsInitFromThePreviousStageAndEmitDependentSlurmJobs() throws IOException {
        Path file = sweepFile(String.join("\n",
                "name: paper",
                "output_dir: out/paper",
                "variants:",
                "  no-cpt:",
                "    - {stage: sft, config: configs/sft.yaml, set: [model.init=/models/llama-2-7b]}",
                "  full:",
                "    - {stage: cpt, config: configs/cpt.yaml, set: [model.init=/models/llama-2-7b]}",
                "    - {stage: sft, config: configs/sft.yaml}",
                "  full-feedback:",
                "    - {stage: cpt, config: configs/cpt.yaml, set: [model.init=/models/llama-2-7b]}",
                "    - {stage: sft, config: configs/sft.yaml}",
                "    - {stage: feedback-sft, config: configs/feedback.yaml}",
                "grid:",
                "  sft:training.learning_rate: [2.0e-5]",
                "slurm: {partition: gpu, nodes: 6, gpus_per_node: 8, time: '48:00:00'}",
                ""));
        SweepPlan plan = SweepPlan.of(SweepFile.read(file, work).withCommandLineSets(List.of("training.max_steps=3")));
        SweepPlan.Run full = plan.runs().get(1);
        List<String> cptArgs = full.stages().get(0).trainArgs();
        assertTrue(cptArgs.indexOf("training.max_steps=3") > cptArgs.indexOf("model.init=/models/llama-2-7b"), "--set wins");
        assertEquals("full_learning_rate=0.00002", full.name());
        List<String> sftArgs = full.stages().get(1).trainArgs();
        assertTrue(sftArgs.contains("model.init=" + full.stages().get(0).finalModel()), sftArgs.toString());
        assertTrue(sftArgs.contains("training.learning_rate=0.00002"));
        assertFalse(full.stages().get(0).trainArgs().contains("training.learning_rate=0.00002"), "grid key scoped to sft");

        // full-feedback shares full's cPT and SFT (same chain so far): run once, then its feedback stage.
        SweepPlan.Run withFeedback = plan.runs().get(2);
        assertEquals(full.stages().get(0), withFeedback.stages().get(0));
        assertEquals(full.stages().get(1), withFeedback.stages().get(1));
        assertEquals(withFeedback.dir().resolve("3-feedback-sft"), withFeedback.stages().get(2).outputDir());
        assertTrue(withFeedback.stages().get(2).trainArgs().contains("model.init=" + full.stages().get(1).finalModel()));

        Path submit = SlurmEmitter.emit(plan, work, work.resolve("scripts/twllm"));
        String text = Files.readString(submit);
        assertTrue(text.contains("job1=$(sbatch --parsable no-cpt_learning_rate=0.00002__1-sft.sbatch)"), text);
        assertTrue(text.contains("job3=$(sbatch --parsable --dependency=afterok:$job2 full_learning_rate=0.00002__2-sft.sbatch)"), text);
        assertTrue(text.contains("job4=$(sbatch --parsable --dependency=afterok:$job3 full-feedback_learning_rate=0.00002__3-feedback-sft.sbatch)"), text);
        assertFalse(text.contains("job5"), text);
        String batch = Files.readString(submit.resolveSibling("full_learning_rate=0.00002__2-sft.sbatch"));
        assertTrue(batch.contains("#SBATCH --nodes=6") && batch.contains("#SBATCH --partition=gpu"), batch);
        assertTrue(batch.contains("srun " + work.resolve("scripts/twllm") + " sweep --config " + file.toAbsolutePath()
                + " --set training.max_steps=3 --only full_learning_rate=0.00002/2-sft"), batch);
    }

    @Test
    void badSweepFilesSayWhatIsWrong() throws IOException {
        ConfigException e = assertThrows(ConfigException.class, () -> SweepFile.read(sweepFile("name: x\ngird: {}\n"), work));
        assertTrue(e.getMessage().contains("unknown key 'gird'"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> SweepFile.read(sweepFile("stages:\n  - {stage: dpo, config: configs/cpt.yaml}\n"), work));
        assertTrue(e.getMessage().contains("'dpo'"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> SweepFile.read(sweepFile("stages:\n  - {stage: cpt, config: nope.yaml}\n"), work));
        assertTrue(e.getMessage().contains("nope.yaml does not exist"), e.getMessage());
    }
}
