package org.twllm.core.engine.cuda;

import org.twllm.core.engine.LlamaConfig;
import org.twllm.core.engine.ParameterSpec;
import org.twllm.core.engine.TokenBatch;

/**
 * Times full training steps of the device engine on one GPU: forward, backward, the gradient norm and
 * AdamW over the whole model (one rank owns everything), on random weights and a random causal batch.
 * Reports tokens per second and the model FLOPs utilisation against a peak (989 TFLOP/s dense bf16 on
 * H100/H200), with LlamaConfig's FLOPs per token (the same formula as the metrics and the PyTorch peer).
 */
public final class StepBenchmark {
    /** Dense bf16 tensor-core peak of an H100/H200 SXM, FLOP/s. */
    public static final double H100_PEAK_BF16 = 989e12;

    /** A ~1.1B-parameter Llama shape (TinyLlama's: GQA with 4 kv heads) at sequence length 4096. */
    public static LlamaConfig oneBillion() {
        return new LlamaConfig(2048, 5632, 22, 32, 4, 32000, 4096, 1e-5, 10000.0, false);
    }

    /** What one benchmark measured. */
    public record Figures(long parameters, int seqLen, int batch, int steps, double secondsPerStep, double tokensPerSecond,
            double mfu, double lastLoss) {
    }

    private StepBenchmark() {
    }

    /**
     * {@code warmup} untimed then {@code steps} timed steps of a {@code batch x seqLen} batch; attention key tiles
     * of {@code keyTile}.
     */
    public static Figures run(Gpu gpu, LlamaConfig config, StorageType type, int batch, int seqLen, int keyTile, int warmup,
            int steps) {
        TokenBatch tokens = randomBatch(config, batch, seqLen);
        try (DeviceLlamaModel model = new DeviceLlamaModel(gpu, config, type, batch, seqLen, keyTile, 1L << 24)) {
            initialise(model);
            try (DeviceAdamW adamw = new DeviceAdamW(model, 0, model.layout().total(), 0.9, 0.95, 1e-8, 0.1)) {
                double loss = 0;
                long start = 0;
                for (int i = 0; i < warmup + steps; i++) {
                    if (i == warmup) {
                        gpu.synchronize();
                        start = System.nanoTime();
                    }
                    model.zeroGradients();
                    loss = model.forwardBackward(tokens, 1.0 / tokens.trainedTokens()) / tokens.trainedTokens();
                    double norm = Math.sqrt(adamw.gradientSumOfSquares());
                    adamw.step(1e-4, Math.min(1.0, 1.0 / (norm + 1e-6)));
                }
                gpu.synchronize();
                double seconds = (System.nanoTime() - start) / 1e9 / steps;
                double tokensPerSecond = (double) batch * seqLen / seconds;
                double mfu = tokensPerSecond * config.flopsPerToken(seqLen) / H100_PEAK_BF16;
                return new Figures(config.numParameters(), seqLen, batch, steps, seconds, tokensPerSecond, mfu, loss);
            }
        }
    }

    /** Uniform weights of standard deviation 0.02 (a fast generator: a billion Gaussians take too long), norms 1. */
    private static void initialise(DeviceLlamaModel model) {
        float[] chunk = new float[1 << 20];
        long state = 0x9E3779B97F4A7C15L;
        double half = 0.02 * Math.sqrt(3);
        for (ParameterSpec s : model.layout().specs()) {
            for (long done = 0; done < s.length(); done += chunk.length) {
                int n = (int) Math.min(chunk.length, s.length() - done);
                float[] values = n == chunk.length ? chunk : new float[n];
                for (int i = 0; i < n; i++) {
                    state ^= state << 13;
                    state ^= state >>> 7;
                    state ^= state << 17;
                    values[i] = s.decays() ? (float) (((state >>> 11) * 0x1.0p-53 * 2 - 1) * half) : 1f;
                }
                model.setParameters(s.offset() + done, values);
            }
        }
    }

    private static TokenBatch randomBatch(LlamaConfig config, int batch, int seqLen) {
        java.util.Random rng = new java.util.Random(1);
        int n = batch * seqLen;
        int[] inputs = new int[n];
        int[] targets = new int[n];
        int[] positions = new int[n];
        for (int i = 0; i < n; i++) {
            inputs[i] = rng.nextInt(config.vocabSize());
            targets[i] = rng.nextInt(config.vocabSize());
            positions[i] = i % seqLen;
        }
        return new TokenBatch(batch, seqLen, inputs, targets, positions, new int[n]);
    }
}
