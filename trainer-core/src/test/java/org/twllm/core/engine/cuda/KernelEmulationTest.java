package org.twllm.core.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

/**
 * Every kernel of the CUDA engine, compiled from the same sources for the host emulation, against the
 * fp64 host reference (the device check's kernel section, run on the CPU): fp32 and bf16 storage, odd
 * sizes, grouped-query heads, causal and packed masks with fully masked tiles, chunked LM-head rows.
 */
class KernelEmulationTest {
    @Test
    void everyKernelMatchesTheFp64HostComputation() {
        List<KernelChecks.Result> results;
        try (EmulatedGpu gpu = new EmulatedGpu()) {
            results = new KernelChecks(gpu, KernelChecks.Shape.small()).runAll();
        }
        String failed = results.stream().filter(r -> !r.passed())
                .map(r -> r.name() + " (" + r.type() + "): error " + r.error() + " > " + r.tolerance())
                .collect(Collectors.joining("\n"));
        System.out.println(results.stream().map(r -> String.format("%-50s %-4s %.2e / %.0e", r.name(), r.type(), r.error(), r.tolerance()))
                .collect(Collectors.joining("\n")));
        assertTrue(failed.isEmpty(), failed);
        assertEquals(58, results.size(), "every check ran");
    }
}
