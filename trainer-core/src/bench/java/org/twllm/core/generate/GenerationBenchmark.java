package org.twllm.core.generate;

import java.util.Arrays;
import java.util.Locale;

import org.twllm.core.engine.Decoder;
import org.twllm.core.engine.Engine;
import org.twllm.core.engine.LlamaConfig;
import org.twllm.core.engine.TokenBatch;
import org.twllm.core.engine.cpu.TestEngines;

/**
 * Greedy generation speed with the KV cache against re-running the CPU model's full forward ({@link TestEngines#logits}) on the whole
 * sequence for every new token (what generation costs without a cache), on a random model of the given
 * shape; checks both pick the same tokens. Run through scripts/bench/generation.sh.
 *
 * <p>Arguments: {@code key=value} with keys hidden, intermediate, layers, heads, kvHeads, vocab, prompt, tokens,
 * recomputeTokens (how many tokens the slow path generates; its tokens/s is measured over those).
 */
public final class GenerationBenchmark {
    private GenerationBenchmark() {
    }

    public static void main(String[] args) {
        java.util.Map<String, Integer> a = new java.util.HashMap<>(java.util.Map.of("hidden", 192, "intermediate", 512,
                "layers", 4, "heads", 6, "kvHeads", 2, "vocab", 8000, "prompt", 64, "tokens", 64, "recomputeTokens", 16));
        for (String arg : args) {
            String[] kv = arg.split("=", 2);
            if (!a.containsKey(kv[0])) {
                throw new IllegalArgumentException("unknown key " + kv[0] + "; keys: " + a.keySet());
            }
            a.put(kv[0], Integer.parseInt(kv[1]));
        }
        int promptLength = a.get("prompt");
        int tokens = a.get("tokens");
        LlamaConfig config = new LlamaConfig(a.get("hidden"), a.get("intermediate"), a.get("layers"), a.get("heads"),
                a.get("kvHeads"), a.get("vocab"), promptLength + tokens + 1, 1e-5, 10000.0, false);
        Engine model = TestEngines.random(config, 1, 0.02);
        int[] prompt = new int[promptLength];
        java.util.SplittableRandom rng = new java.util.SplittableRandom(2);
        prompt[0] = 1;
        for (int i = 1; i < promptLength; i++) {
            prompt[i] = 3 + rng.nextInt(config.vocabSize() - 3);
        }
        System.out.printf(Locale.ROOT, "model: hidden %d, intermediate %d, layers %d, heads %d/%d kv, vocab %d (%.1fM parameters); "
                        + "prompt %d tokens%n", config.hiddenSize(), config.intermediateSize(), config.numLayers(), config.numHeads(),
                config.numKvHeads(), config.vocabSize(), config.numParameters() / 1e6, promptLength);

        Decoder weights = model.decoder();
        // Warm-up (JIT, BLAS threads), then the measured run.
        cachedGreedy(weights, prompt, Math.min(tokens, 8));
        long start = System.nanoTime();
        double cpuStart = processCpuSeconds();
        int[] cached = cachedGreedy(weights, prompt, tokens);
        double cachedSeconds = (System.nanoTime() - start) / 1e9;
        double cachedCpu = processCpuSeconds() - cpuStart;

        int slowTokens = Math.min(a.get("recomputeTokens"), tokens);
        recomputeGreedy(model, prompt, Math.min(slowTokens, 2));
        start = System.nanoTime();
        cpuStart = processCpuSeconds();
        int[] recomputed = recomputeGreedy(model, prompt, slowTokens);
        double recomputeSeconds = (System.nanoTime() - start) / 1e9;
        double recomputeCpu = processCpuSeconds() - cpuStart;

        boolean same = Arrays.equals(recomputed, Arrays.copyOf(cached, slowTokens));
        double cachedRate = tokens / cachedSeconds;
        double recomputeRate = slowTokens / recomputeSeconds;
        System.out.printf(Locale.ROOT, "kv cache:   %d tokens in %.2f s = %.1f tokens/s (prefill included); %.2f CPU s per token%n",
                tokens, cachedSeconds, cachedRate, cachedCpu / tokens);
        System.out.printf(Locale.ROOT, "recompute:  %d tokens in %.2f s = %.1f tokens/s (the full forward on the whole sequence per token); "
                + "%.2f CPU s per token%n", slowTokens, recomputeSeconds, recomputeRate, recomputeCpu / slowTokens);
        System.out.printf(Locale.ROOT, "speed-up %.1fx; same tokens: %s%n", cachedRate / recomputeRate, same);
    }

    /** CPU time of the whole process (all threads, BLAS included): fair on a shared machine. */
    private static double processCpuSeconds() {
        java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getProcessCpuTime() / 1e9 : Double.NaN;
    }

    private static int[] cachedGreedy(Decoder weights, int[] prompt, int tokens) {
        KvCacheDecoder decoder = new KvCacheDecoder(weights, prompt.length + tokens);
        int[] out = new int[tokens];
        float[] logits = decoder.forwardLast(prompt);
        for (int i = 0; i < tokens; i++) {
            out[i] = TokenSampler.argmax(logits);
            if (i + 1 < tokens) {
                logits = decoder.forwardLast(new int[] {out[i]});
            }
        }
        return out;
    }

    private static int[] recomputeGreedy(Engine model, int[] prompt, int tokens) {
        int[] seq = prompt.clone();
        int[] out = new int[tokens];
        for (int i = 0; i < tokens; i++) {
            int[] targets = new int[seq.length];
            Arrays.fill(targets, TokenBatch.IGNORE);
            float[] last = TestEngines.logits(model, TokenBatch.causal(new int[][] {seq}, new int[][] {targets}))[seq.length - 1];
            out[i] = TokenSampler.argmax(last);
            seq = Arrays.copyOf(seq, seq.length + 1);
            seq[seq.length - 1] = out[i];
        }
        return out;
    }
}
