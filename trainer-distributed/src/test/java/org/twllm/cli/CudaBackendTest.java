package org.twllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code device.backend: cuda} on a machine without a GPU (every CI machine): the shipped tiny cPT config ends
 * with one sentence saying what is missing, exit 1 (a runtime failure, not a usage error), no class name and no
 * stack trace, before any data is prepared. On a machine with an NVIDIA driver the run is the device check's
 * business and this test is skipped.
 */
class CudaBackendTest {
    @Test
    void withoutAGpuTheRunSaysWhatIsMissingInOneSentence(@TempDir Path dir) throws Exception {
        // a child JVM in the repository root, as a user runs it: the shipped config's relative paths resolve
        CliRun r = CliRun.inChildJvm(List.of(), List.of("-Xmx256m"), 120, "train", "--stage", "cpt", "--config", "configs/tiny/cpt.yaml",
                "--set", "device.backend=cuda", "--set", "run.output_dir=" + dir.resolve("run"),
                "--set", "data.cache_dir=" + dir.resolve("cache"));
        Assumptions.assumeFalse(r.code() == Main.EXIT_OK, "this machine has a GPU: the CUDA engine trained");
        List<String> errors = r.err().lines().filter(l -> l.startsWith("error: ")).toList();
        assertEquals(Main.EXIT_RUNTIME, r.code(), r.all());
        assertEquals(1, errors.size(), r.all());
        String sentence = errors.get(0);
        Assumptions.assumeFalse(sentence.contains("no CUDA device visible") || sentence.contains("CUDA 13 libraries"),
                "this machine has an NVIDIA driver but no usable GPU: " + sentence);
        assertTrue(sentence.contains("no CUDA driver (libcuda.so.1) found") && sentence.contains("device.backend: cpu"), r.all());
        assertFalse(r.all().contains("Exception") || r.all().contains("Error:") || r.all().contains("\tat ")
                || r.all().contains("org.twllm."), r.all());
        assertFalse(dir.resolve("cache").toFile().exists(), "nothing was prepared before the refusal");
        assertFalse(dir.resolve("run").toFile().exists(), "no run directory was created (or locked) before the refusal");
    }
}
