package org.twllm.core.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twllm.core.config.StageConfig;

/** {@code device.peak_flops} replaces the start-up probe as MFU's denominator, in the summary and in every metrics line. */
class PeakFlopsOverrideTest {
    @Test
    void mfuIsTheStepsFlopRateOverTheConfiguredPeak(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("out");
        double peak = 2.5e9;
        StageConfig config = TinyStages.load(dir, "cpt", TinyStages.cpt(out, dir.resolve("cache"),
                TinyStages.corpusSlice(dir, 200), 2, 0), "device.peak_flops=" + peak);
        List<String> console = new ArrayList<>();
        TrainingRun.run(config, ResumeRequest.never(), SingleRank::new, console::add);

        assertTrue(console.contains("  device       peak 2.5 GFLOP/s per rank (device.peak_flops), for MFU"), console.toString());
        double flopsPerToken = config.model().architecture().flopsPerToken(config.data().seqLen());
        ObjectMapper json = new ObjectMapper();
        List<String> lines = Files.readAllLines(out.resolve(MetricsLog.FILE_NAME));
        assertEquals(2, lines.size());
        for (String line : lines) {
            JsonNode m = json.readTree(line);
            double tokensPerS = m.get("tokens_per_s").asDouble();
            assertTrue(tokensPerS > 0, line);
            assertEquals(flopsPerToken * tokensPerS / peak, m.get("mfu").asDouble(), 1e-9 * flopsPerToken * tokensPerS / peak, line);
        }
    }
}
