package org.twllm.core.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetricsLogTest {

    private static StepMetrics step(long s, double valLoss) {
        return new StepMetrics(s, 5.0 - s * 0.1, 1e-4, 1.5, 100 * s, 5100, 0.123, s * 0.5, 0, valLoss);
    }

    @Test
    void writesOneObjectPerStepAndAResumeDropsTheStepsItRedoes(@TempDir Path dir) throws IOException {
        try (MetricsLog log = MetricsLog.open(dir, 0)) {
            for (int s = 1; s <= 5; s++) {
                log.append(step(s, s == 4 ? 4.5 : Double.NaN));
            }
        }
        List<String> lines = Files.readAllLines(dir.resolve("metrics.jsonl"));
        assertEquals(5, lines.size());
        assertTrue(lines.get(0).startsWith("{\"step\":1,\"loss\":4.9,\"lr\":1.0E-4,\"grad_norm\":1.5,\"tokens\":100,"
                + "\"tokens_per_s\":5100.0,\"mfu\":0.123,\"elapsed_s\":0.5,\"skipped_steps\":0}"), lines.get(0));
        assertTrue(lines.get(3).endsWith(",\"val_loss\":4.5}"), lines.get(3));

        Files.writeString(dir.resolve("metrics.jsonl"), "{\"step\":6,\"lo", java.nio.file.StandardOpenOption.APPEND);
        try (MetricsLog log = MetricsLog.open(dir, 3)) {
            log.append(step(4, Double.NaN));
        }
        lines = Files.readAllLines(dir.resolve("metrics.jsonl"));
        assertEquals(4, lines.size());
        assertTrue(lines.get(3).startsWith("{\"step\":4,"));
    }

    @Test
    void aDamagedLineIsSetAsideNotAResumeThatFailsForever(@TempDir Path dir) throws IOException {
        try (MetricsLog log = MetricsLog.open(dir, 0)) {
            for (int s = 1; s <= 2; s++) {
                log.append(step(s, Double.NaN));
            }
        }
        Path file = dir.resolve("metrics.jsonl");
        Files.writeString(file, "{\"step\":3, garbage\n" + step4Line(), java.nio.file.StandardOpenOption.APPEND);
        String damaged = Files.readString(file);
        try (MetricsLog log = MetricsLog.open(dir, 4)) {
            log.append(step(5, Double.NaN));
        }
        List<String> lines = Files.readAllLines(file);
        assertEquals(3, lines.size(), "steps 1 and 2 (before the damaged line) and the new step 5");
        assertTrue(lines.get(1).startsWith("{\"step\":2,") && lines.get(2).startsWith("{\"step\":5,"), lines.toString());
        try (var aside = Files.list(dir)) {
            List<Path> set = aside.filter(p -> p.getFileName().toString().startsWith("metrics.jsonl.damaged-")).toList();
            assertEquals(1, set.size());
            assertEquals(damaged, Files.readString(set.get(0)), "the damaged file is kept as it was");
        }
    }

    private static String step4Line() {
        return "{\"step\":4,\"loss\":4.6}\n";
    }

    @Test
    void progressLineShowsTheFiguresCompactly() {
        String line = ProgressLine.format(new StepMetrics(12, 6.1234, 3e-4, 1.234, 1000, 5100, 0.123, 3, 0, Double.NaN), 300, 80);
        assertEquals("step 12/300 | loss 6.1234 | lr 3.0e-04 | gnorm 1.23 | 5.1k tok/s | mfu 12.3% | eta 1m20s", line);
    }
}
