package org.twllm.core.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twllm.core.tensorboard.EventFileDecoder;

class TensorBoardLogTest {
    @Test
    void everyFigureOfAStepIsAScalarUnderTheRunsPrefixAndValLossOnlyWhenMeasured(@TempDir Path out) throws Exception {
        try (TensorBoardLog log = TensorBoardLog.open(out, "sweep-a", 0, "stage: sft\n")) {
            log.append(new StepMetrics(1, 3.5, 1e-4, 0.75, 512, 1200, 0.125, 1.0, 0, Double.NaN));
            log.append(new StepMetrics(2, Double.NaN, 2e-4, Double.POSITIVE_INFINITY, 1024, 1300, 0.25, 2.0, 1, 3.25));
        }
        Map<String, TreeMap<Long, List<Float>>> view = EventFileDecoder.scalarView(EventFileDecoder.files(out.resolve("tensorboard")));
        assertEquals(Map.of(
                "sweep-a/loss", new TreeMap<>(Map.of(1L, List.of(3.5f), 2L, List.of(Float.NaN))),
                "sweep-a/lr", new TreeMap<>(Map.of(1L, List.of(1e-4f), 2L, List.of(2e-4f))),
                "sweep-a/grad_norm", new TreeMap<>(Map.of(1L, List.of(0.75f), 2L, List.of(Float.POSITIVE_INFINITY))),
                "sweep-a/tokens_per_s", new TreeMap<>(Map.of(1L, List.of(1200f), 2L, List.of(1300f))),
                "sweep-a/mfu", new TreeMap<>(Map.of(1L, List.of(0.125f), 2L, List.of(0.25f))),
                "sweep-a/skipped_steps", new TreeMap<>(Map.of(1L, List.of(0f), 2L, List.of(1f))),
                "sweep-a/val_loss", new TreeMap<>(Map.of(2L, List.of(3.25f)))), view);
    }
}
