package org.twllm.core.engine.cuda;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.twllm.core.engine.LlamaConfig;
import org.twllm.errors.TwllmException;

/**
 * The GPU device check (scripts/gpu/check.sh runs it from the device bundle): the GPU's identity; every
 * kernel against the fp64 host computation; model parity against the CPU engine's stored reference; a
 * training-step benchmark on a ~1B-parameter shape at sequence length 4096 with tokens/s, MFU and peak
 * memory. Prints readable lines, then one {@code TWLLM_BENCH} JSON line for the script; exits 1 when a
 * check fails.
 *
 * <pre>DeviceCheck FIXTURE_DIR [--steps N] [--no-benchmark] [--verbose]</pre>
 */
public final class DeviceCheck {
    private DeviceCheck() {
    }

    public static void main(String[] args) {
        boolean verbose = List.of(args).contains("--verbose");
        try {
            System.exit(run(args));
        } catch (TwllmException e) {
            System.out.println("device check: " + e.getMessage());
            if (verbose) {
                e.printStackTrace();
            }
            System.exit(1);
        } catch (RuntimeException e) {
            System.out.println("device check failed: " + e.getMessage());
            if (verbose) {
                e.printStackTrace();
            }
            System.exit(1);
        }
    }

    private static int run(String[] args) {
        if (args.length == 0 || args[0].startsWith("--")) {
            System.out.println("usage: DeviceCheck FIXTURE_DIR [--steps N] [--no-benchmark] [--verbose]");
            return 2;
        }
        Path fixture = Path.of(args[0]);
        if (!Files.isDirectory(fixture)) {
            System.out.println("the parity fixture " + fixture + " does not exist; pass the bundle's reference/gpu-parity folder");
            return 2;
        }
        int steps = 5;
        boolean benchmark = true;
        for (int i = 1; i < args.length; i++) {
            if (args[i].equals("--steps") && i + 1 < args.length) {
                steps = Integer.parseInt(args[++i]);
            } else if (args[i].equals("--no-benchmark")) {
                benchmark = false;
            }
        }
        List<KernelChecks.Result> failed = new ArrayList<>();
        try (CudaGpu gpu = CudaGpu.open(0)) {
            section("Identity");
            System.out.println("  " + gpu.info().describe());

            section("Kernels against the fp64 host computation (error = max |device - host| / max |host|)");
            long t0 = System.nanoTime();
            report(new KernelChecks(gpu, KernelChecks.Shape.device()).runAll(), failed);
            System.out.printf(Locale.ROOT, "  (%.1f s)%n", (System.nanoTime() - t0) / 1e9);

            section("Model parity against the CPU engine's reference (" + fixture + ")");
            for (StorageType type : StorageType.values()) {
                report(ParityCheck.run(gpu, fixture, type), failed);
            }
            System.out.println("  bf16 is compared with the fp32 reference: the CPU engine's bf16 mode has not stored its own yet");

            String bench = "{}";
            if (benchmark) {
                LlamaConfig shape = StepBenchmark.oneBillion();
                section(String.format(Locale.ROOT, "Training step, bf16, %.2fB parameters (hidden %d, %d layers, %d/%d heads), seq 4096",
                        shape.numParameters() / 1e9, shape.hiddenSize(), shape.numLayers(), shape.numHeads(), shape.numKvHeads()));
                StepBenchmark.Figures f = StepBenchmark.run(gpu, shape, StorageType.BF16, 1, 4096, 1024, 2, steps);
                long peak = gpu.peakAllocatedBytes();
                long[] mem = gpu.memoryInfo();
                System.out.printf(Locale.ROOT, "  %.1f ms/step, %.0f tokens/s, MFU %.1f%% of 989 TFLOP/s (%d timed steps, loss %.3f)%n",
                        f.secondsPerStep() * 1e3, f.tokensPerSecond(), 100 * f.mfu(), f.steps(), f.lastLoss());
                System.out.printf(Locale.ROOT, "  peak GPU memory: %.2f GiB in twllm's buffers; %.2f GiB in use on the GPU now (with cuBLAS"
                        + " and the context)%n", peak / (double) (1L << 30), (mem[1] - mem[0]) / (double) (1L << 30));
                bench = String.format(Locale.ROOT, "{\"tokens_per_s\": %.1f, \"mfu\": %.4f, \"step_s\": %.4f, \"peak_bytes\": %d}",
                        f.tokensPerSecond(), f.mfu(), f.secondsPerStep(), peak);
            }
            section(failed.isEmpty() ? "All checks passed" : failed.size() + " check(s) FAILED");
            System.out.println("TWLLM_BENCH " + bench);
        }
        return failed.isEmpty() ? 0 : 1;
    }

    private static void section(String title) {
        System.out.println();
        System.out.println("== " + title);
    }

    private static void report(List<KernelChecks.Result> results, List<KernelChecks.Result> failed) {
        for (KernelChecks.Result r : results) {
            System.out.printf(Locale.ROOT, "  %-4s  %-58s %9.2e  (limit %.0e)%n", r.passed() ? "ok" : "FAIL",
                    r.name() + " [" + r.type().suffix() + "]", r.error(), r.tolerance());
            if (!r.passed()) {
                failed.add(r);
            }
        }
    }
}
