package org.twllm.core.engine.cpu;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;

import org.bytedeco.openblas.global.openblas_full;

import org.twllm.core.engine.AdamWSettings;
import org.twllm.core.engine.EngineSettings;
import org.twllm.core.engine.GradientSink;
import org.twllm.core.engine.LlamaConfig;
import org.twllm.core.engine.ParameterLayout;
import org.twllm.core.engine.Precision;
import org.twllm.core.engine.RandomWeights;
import org.twllm.core.engine.TokenBatch;
import org.twllm.core.train.SingleRank;

/**
 * One side of scripts/bench/cpu-speed.sh: the CPU engine's whole fp32 training step as the trainer runs it on one
 * rank (zero the gradients, forward + backward, hand the gradients to the partition, AdamW), driven one command per
 * line on standard input so the script can alternate it with PyTorch step by step:
 * <ul>
 *   <li>{@code peak}: the sgemm peak of {@link PeakFlopsProbe} over its sizes, and each size's figure;</li>
 *   <li>{@code step}: one training step;</li>
 *   <li>{@code quit}.</li>
 * </ul>
 * Each command answers one line {@code RESULT {json}}: a step's milliseconds, loss and, with
 * {@code -Dtwllm.cpu.profile=true}, its milliseconds by {@link StepProfile.Kind} and the GEMM kinds' operations
 * (GFLOP actually computed, causal tiles' masked halves included).
 *
 * <p>Arguments: the shape keys of {@link ModelBenchmark} ({@code steps} is unused: the script decides).
 */
public final class TrainingStepBenchmark {
    private static final AdamWSettings ADAMW = new AdamWSettings(0.9, 0.95, 1e-8, 0.1);
    private static final double LR = 1e-4;

    private TrainingStepBenchmark() {
    }

    public static void main(String[] args) throws IOException {
        Map<String, Integer> a = ModelBenchmark.arguments(args, Map.of());
        LlamaConfig config = ModelBenchmark.config(a);
        int b = a.get("batch");
        int t = a.get("seq");
        ParameterLayout layout = new ParameterLayout(config);
        EngineSettings settings = new EngineSettings(Precision.FP32, 0, layout.total(), false, 1 << 24, ADAMW,
                a.get("checkpointing") != 0, b, t);
        try (CpuEngine engine = new CpuEngine(config, settings)) {
            RandomWeights.fill(layout, 1, 0.02, engine::writeWeights);
            TokenBatch batch = ModelBenchmark.randomBatch(config, b, t);
            GradientSink sink = new SingleRank(layout.total()).gradientSink(engine.gradientPartition());
            System.err.printf(Locale.ROOT, "twllm: %s, %,d parameters; batch %d x %d; profile %s%n", config,
                    config.numParameters(), b, t, StepProfile.ENABLED ? "on" : "off");
            BufferedReader commands = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (String command = commands.readLine(); command != null && !command.equals("quit"); command = commands.readLine()) {
                switch (command) {
                    case "peak" -> System.out.println("RESULT " + peak());
                    case "step" -> System.out.println("RESULT " + step(engine, batch, sink));
                    default -> throw new IllegalArgumentException("unknown command " + command + "; expected peak, step or quit");
                }
                System.out.flush();
            }
        }
    }

    private static String step(CpuEngine engine, TokenBatch batch, GradientSink sink) throws IOException {
        long t0 = System.nanoTime();
        StepProfile.reset();
        engine.zeroGradients();
        StepProfile.lap(StepProfile.Kind.GRADIENT_HANDOFF);
        double tokens = batch.trainedTokens();
        double loss = engine.forwardBackward(batch, 1.0 / tokens, sink);
        engine.flushGradients(sink);
        sink.awaitAll();
        StepProfile.lap(StepProfile.Kind.GRADIENT_HANDOFF);
        engine.optimizerStep(LR, 1.0);
        StepProfile.lap(StepProfile.Kind.OPTIMIZER);
        double ms = (System.nanoTime() - t0) / 1e6;
        StringJoiner kinds = new StringJoiner(", ", "{", "}");
        StringJoiner gemms = new StringJoiner(", ", "{", "}");
        if (StepProfile.ENABLED) {
            for (StepProfile.Kind kind : StepProfile.Kind.values()) {
                kinds.add(String.format(Locale.ROOT, "\"%s\": %.2f", kind.label(), StepProfile.nanos(kind) / 1e6));
                if (kind.isGemm()) {
                    gemms.add(String.format(Locale.ROOT, "\"%s\": %.4f", kind.label(), StepProfile.flops(kind) / 1e9));
                }
            }
        }
        return String.format(Locale.ROOT, "{\"ms\": %.2f, \"loss\": %.5f, \"profile_ms\": %s, \"gemm_gflop\": %s, \"rss_mb\": %d}",
                ms, loss / tokens, kinds, gemms, ModelBenchmark.statusKb("VmRSS:") / 1024);
    }

    private static String peak() {
        StringJoiner sizes = new StringJoiner(", ", "{", "}");
        double best = 0;
        for (int n : PeakFlopsProbe.SIZES) {
            double flops = PeakFlopsProbe.measure(n, 1.0);
            best = Math.max(best, flops);
            sizes.add(String.format(Locale.ROOT, "\"%d\": %.0f", n, flops));
        }
        // which OpenBLAS build and which of its kernel sets (chosen for this CPU at load time) ND4J's GEMMs run on: asked
        // of the preset's full-API copy of the same library file, since ND4J's copy (openblas_nolapack) does not export these
        String blas = openblas_full.openblas_get_config().getString() + ", kernels " + openblas_full.openblas_get_corename().getString();
        return String.format(Locale.ROOT, "{\"flops\": %.0f, \"by_size\": %s, \"blas\": \"%s\"}", best, sizes, blas);
    }
}
