package org.twllm.core.engine.cpu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.twllm.core.engine.LlamaConfig;
import org.twllm.core.engine.TokenBatch;

/**
 * Times forward and forward+backward of a random fp32 Llama on one batch shape and prints ms, GFLOP/s
 * (PaLM's 6N + 12LHT convention, see {@link LlamaConfig#flopsPerToken}) and the process RSS after every
 * step and the peak RSS, so a growing native footprint shows. Not a test: run it with scripts/bench/model-bench.sh.
 *
 * <p>Arguments are {@code key=value}: hidden, intermediate, layers, heads, kvHeads, vocab, seq, batch, steps,
 * checkpointing (1 = activation checkpointing in forward+backward).
 */
public final class ModelBenchmark {
    private ModelBenchmark() {
    }

    public static void main(String[] args) throws IOException {
        Map<String, Integer> a = arguments(args, Map.of());
        LlamaConfig config = config(a);
        int b = a.get("batch");
        int t = a.get("seq");
        LlamaModel model = LlamaModel.random(config, DataType.FLOAT, 1, 0.02);
        model.setGradientCheckpointing(a.get("checkpointing") != 0);
        TokenBatch batch = randomBatch(config, b, t);
        FullGradients grads = new FullGradients(model.parameters().layout(), DataType.FLOAT);
        double tokens = (double) b * t;
        double trainFlops = config.flopsPerToken(t) * tokens;
        System.out.printf("model: %s, %,d parameters; batch %d x %d; gradient checkpointing %s; threads %s%n", config,
                config.numParameters(), b, t, a.get("checkpointing") != 0 ? "on" : "off",
                System.getenv().getOrDefault("OMP_NUM_THREADS", "default"));
        for (int step = 1; step <= a.get("steps"); step++) {
            long t0 = System.nanoTime();
            double loss = model.loss(batch);
            long t1 = System.nanoTime();
            model.forwardBackward(batch, 1.0 / tokens, grads);
            long t2 = System.nanoTime();
            grads.zero();
            double fwdMs = (t1 - t0) / 1e6;
            double fwdBwdMs = (t2 - t1) / 1e6;
            System.out.printf("step %d loss %.4f forward %.1f ms (%.1f GFLOP/s) forward+backward %.1f ms (%.1f GFLOP/s)"
                    + " backward %.1f ms rss %d MB, peak %d MB (javacpp off-heap %d MB, java heap used %d MB)%n", step, loss / tokens,
                    fwdMs, trainFlops / 3 / fwdMs / 1e6, fwdBwdMs, trainFlops / fwdBwdMs / 1e6, fwdBwdMs - fwdMs,
                    statusKb("VmRSS:") / 1024, statusKb("VmHWM:") / 1024,
                    Pointer.totalBytes() >> 20, (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory()) >> 20);
        }
    }

    /**
     * The {@code key=value} arguments over the shape defaults (hidden, intermediate, layers, heads, kvHeads, vocab,
     * seq, batch, steps, checkpointing) and {@code extra} keys of the calling benchmark.
     */
    static Map<String, Integer> arguments(String[] args, Map<String, Integer> extra) {
        Map<String, Integer> a = new LinkedHashMap<>(Map.of("hidden", 1024, "intermediate", 2816, "layers", 4, "heads", 16,
                "kvHeads", 16, "vocab", 32000, "seq", 512, "batch", 4, "steps", 5, "checkpointing", 0));
        a.putAll(extra);
        for (String arg : args) {
            String[] kv = arg.split("=", 2);
            if (kv.length != 2 || !a.containsKey(kv[0])) {
                throw new IllegalArgumentException("expected key=value with key in " + a.keySet() + ", got " + arg);
            }
            a.put(kv[0], Integer.parseInt(kv[1]));
        }
        return a;
    }

    /** The untied fp32 Llama of the arguments' shape (positions up to max(4096, seq)). */
    static LlamaConfig config(Map<String, Integer> a) {
        return new LlamaConfig(a.get("hidden"), a.get("intermediate"), a.get("layers"), a.get("heads"),
                a.get("kvHeads"), a.get("vocab"), Math.max(4096, a.get("seq")), 1e-5, 10000.0, false);
    }

    /** A causal batch of {@code b x t} random inputs and targets (fixed seed). */
    static TokenBatch randomBatch(LlamaConfig config, int b, int t) {
        SplittableRandom rng = new SplittableRandom(2);
        int[][] in = new int[b][t];
        int[][] tg = new int[b][t];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < t; j++) {
                in[i][j] = rng.nextInt(config.vocabSize());
                tg[i][j] = rng.nextInt(config.vocabSize());
            }
        }
        return TokenBatch.causal(in, tg);
    }

    /** A kB figure of /proc/self/status (VmRSS: resident now, VmHWM: peak resident), -1 where that does not exist. */
    static long statusKb(String field) throws IOException {
        Path status = Path.of("/proc/self/status");
        if (!Files.exists(status)) {
            return -1;
        }
        for (String line : Files.readAllLines(status)) {
            if (line.startsWith(field)) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }
}
