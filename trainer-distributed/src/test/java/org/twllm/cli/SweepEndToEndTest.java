package org.twllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twllm.files.FileTrees;
import org.twllm.sweep.RunMetrics;
import org.twllm.sweep.StageMarker;
import org.twllm.sweep.SweepReport;

/**
 * A 2x2 sweep of real (very small) cPT runs through {@code twllm sweep}: four runs, a table with their
 * final losses and eval metrics, and a resume after one run is cut short at its first checkpoint.
 */
class SweepEndToEndTest {
    private static final Path ROOT = Path.of(System.getProperty("twllm.fixtures")).getParent();

    @TempDir
    Path dir;

    @Test
    void twoByTwoSweepProducesFourRunsAndResumesAnInterruptedOne() throws IOException {
        Path fixtures = ROOT.resolve("src-test-fixtures");
        Path sweep = dir.resolve("sweep.yaml");
        Files.writeString(sweep, String.join("\n",
                "name: tiny-2x2",
                "output_dir: " + dir.resolve("out"),
                "set:",
                "  - training.max_steps=4",
                "  - checkpoint.save_steps=2",
                "  - training.logging_steps=1",
                "  - training.warmup_steps=1",
                "  - training.per_device_train_batch_size=2",
                "  - data.seq_len=16",
                "  - model.hidden_size=16",
                "  - model.intermediate_size=32",
                "  - model.num_attention_heads=2",
                "  - model.num_key_value_heads=1",
                "  - model.max_position_embeddings=256",
                "  - device.peak_flops=1e9",
                "  - data.filters.script=off",
                "  - tokenizer.path=" + fixtures.resolve("tokenizer/zh-tw-bpe-8k.model"),
                "  - data.sources.0.path=" + fixtures.resolve("corpus/lunyu.zh-Hans.jsonl"),
                "stages:",
                "  - {stage: cpt, config: " + ROOT.resolve("configs/tiny/cpt.yaml") + "}",
                "grid:",
                "  training.learning_rate: [1.0e-3, 3.0e-3]",
                "  model.num_hidden_layers: [1, 2]",
                "eval:",
                "  tasks: {perplexity: " + fixtures.resolve("eval/perplexity.jsonl") + "}",
                "  tokenizer: " + fixtures.resolve("tokenizer/zh-tw-bpe-8k.model"),
                ""));
        CliRun first = CliRun.of("sweep", "--config", sweep.toString());
        assertEquals(0, first.code(), first.out() + first.err());
        Path out = dir.resolve("out");
        List<String> runs = List.of("learning_rate=0.001_num_hidden_layers=1", "learning_rate=0.001_num_hidden_layers=2",
                "learning_rate=0.003_num_hidden_layers=1", "learning_rate=0.003_num_hidden_layers=2");
        SweepReport report = SweepReport.write(out);
        assertEquals(runs, report.rows().stream().map(r -> r.get(0)).toList());
        for (String name : runs) {
            Path stage = out.resolve(name).resolve("1-cpt");
            assertTrue(StageMarker.isDone(stage), name);
            assertTrue(Files.isRegularFile(stage.resolve("stage_config.yaml")), "resolved config recorded");
            Map<String, String> row = report.row(name);
            assertEquals("done", row.get("status"));
            assertEquals("4", row.get("steps"));
            assertEquals(SweepReportNumbers.format(RunMetrics.read(stage).finalLoss()), row.get("final_train_loss"));
            double perplexity = Double.parseDouble(row.get("perplexity/perplexity"));
            assertTrue(perplexity > 1000 && perplexity < 20000, "near-uniform model over 8,000 tokens: " + perplexity);
        }

        // Cut one run short: what a kill after step 3 leaves (checkpoint at step 2, no final model, no marker).
        Path victim = out.resolve(runs.get(2)).resolve("1-cpt");
        double[] lossesBefore = RunMetrics.read(victim).losses();
        try (Stream<Path> entries = Files.list(victim)) {
            Path newest = entries.filter(p -> p.getFileName().toString().startsWith("checkpoint-"))
                    .max(Comparator.naturalOrder()).orElseThrow();
            FileTrees.deleteRecursively(newest);
        }
        FileTrees.deleteRecursively(victim.resolve("final"));
        Files.delete(victim.resolve(StageMarker.FILE));
        Files.delete(out.resolve(runs.get(2)).resolve("eval.json"));
        assertTrue(SweepReport.write(out).row(runs.get(2)).get("status").startsWith("partial"));

        CliRun second = CliRun.of("sweep", "--config", sweep.toString());
        assertEquals(0, second.code(), second.out() + second.err());
        assertTrue(second.out().contains("trained 1 stage(s), skipped 3 finished, evaluated 1 run(s)"), second.out());
        assertTrue(second.out().contains("resuming after step 2"), second.out());
        // The resumed run ends where the uninterrupted one did.
        double[] lossesAfter = RunMetrics.read(victim).losses();
        assertEquals(4, lossesAfter.length);
        for (int i = 0; i < 4; i++) {
            assertEquals(lossesBefore[i], lossesAfter[i], 1e-6, "step " + (i + 1));
        }
        assertEquals("done", SweepReport.write(out).row(runs.get(2)).get("status"));
        assertFalse(Files.readString(out.resolve("report.csv")).contains("partial"));
    }

    /** The report's number format, so the test compares exactly what the table shows. */
    private static final class SweepReportNumbers {
        static String format(double v) {
            return String.format(java.util.Locale.ROOT, "%.4f", v);
        }
    }
}
