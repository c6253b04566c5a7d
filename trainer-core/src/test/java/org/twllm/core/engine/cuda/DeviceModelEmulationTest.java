package org.twllm.core.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.twllm.core.engine.AdamWSettings;
import org.twllm.core.engine.Engine;
import org.twllm.core.engine.LlamaConfig;
import org.twllm.core.engine.TokenBatch;
import org.twllm.core.engine.cpu.TestEngines;

/**
 * The device model (every layer's GEMMs, kernels and tiled attention, in the order the GPU runs them) on
 * the host emulation against the CPU engine on the same weights and a packed GQA batch:
 * per-token log-probs and the whole flat gradient buffer agree in fp32, and a bf16 run tracks fp32.
 */
class DeviceModelEmulationTest {
    private static final LlamaConfig CONFIG = new LlamaConfig(16, 24, 2, 4, 2, 29, 32, 1e-5, 10000.0, false);
    private static EmulatedGpu gpu;

    @BeforeAll
    static void start() {
        gpu = new EmulatedGpu(32);
    }

    @AfterAll
    static void stop() {
        gpu.close();
    }

    /** Row 0 plain causal; row 1 three packed examples with restarting positions and untrained prompts. */
    static TokenBatch packedBatch() {
        int t = 9;
        int[] inputs = new int[2 * t];
        int[] targets = new int[2 * t];
        int[] positions = new int[2 * t];
        int[] examples = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2};
        java.util.Random rng = new java.util.Random(5);
        for (int i = 0; i < 2 * t; i++) {
            inputs[i] = rng.nextInt(CONFIG.vocabSize());
            targets[i] = i % 5 == 3 ? TokenBatch.IGNORE : rng.nextInt(CONFIG.vocabSize());
            int start = i;
            while (start > (i / t) * t && examples[start - 1] == examples[i]) {
                start--;
            }
            positions[i] = i - start;
        }
        return new TokenBatch(2, t, inputs, targets, positions, examples);
    }

    private static Engine cpuEngine(long seed) {
        return TestEngines.training(CONFIG, new AdamWSettings(0.9, 0.95, 1e-8, 0.0), seed, 0.2, 2, 9);
    }

    @Test
    void fp32LogProbsAndGradientsEqualTheCpuModel() {
        TokenBatch batch = packedBatch();
        float[] cpuLogProbs;
        double cpuLoss;
        float[] cpuGrads;
        float[] weights;
        try (Engine cpu = cpuEngine(11)) {
            cpuLogProbs = cpu.targetLogProbs(batch);
            cpuLoss = TestEngines.gradients(cpu, batch, 0.25);
            cpuGrads = TestEngines.partition(cpu);
            weights = TestEngines.weights(cpu);
        }
        try (DeviceLlamaModel device = new DeviceLlamaModel(gpu, CONFIG, StorageType.F32, 2, 9, 4, 2L * 29)) {
            device.setParameters(0, weights);
            float[] logProbs = device.targetLogProbs(batch);
            double loss = device.forwardBackward(batch, 0.25);
            float[] grads = device.gradients(0, cpuGrads.length);
            for (int i = 0; i < logProbs.length; i++) {
                if (Float.isNaN(cpuLogProbs[i])) {
                    assertTrue(Float.isNaN(logProbs[i]), "position " + i + " has no target");
                } else {
                    assertEquals(cpuLogProbs[i], logProbs[i], 1e-5, "log-prob at position " + i);
                }
            }
            assertEquals(cpuLoss, loss, 1e-5 * Math.abs(cpuLoss));
            assertTrue(KernelChecks.relativeError(grads, HostTransfer.toDoubles(cpuGrads)) < 1e-5,
                    "gradients: " + KernelChecks.relativeError(grads, HostTransfer.toDoubles(cpuGrads)));
            // a second call adds into the gradients (accumulation)
            device.forwardBackward(batch, 0.25);
            float[] twice = device.gradients(0, cpuGrads.length);
            double[] doubled = new double[cpuGrads.length];
            for (int i = 0; i < doubled.length; i++) {
                doubled[i] = 2.0 * cpuGrads[i];
            }
            assertTrue(KernelChecks.relativeError(twice, doubled) < 1e-5);
        }
    }

    @Test
    void bf16TracksFp32() {
        TokenBatch batch = packedBatch();
        double cpuLoss;
        float[] cpuGrads;
        float[] weights;
        try (Engine cpu = cpuEngine(12)) {
            cpuLoss = TestEngines.gradients(cpu, batch, 1.0);
            cpuGrads = TestEngines.partition(cpu);
            weights = TestEngines.weights(cpu);
        }
        try (DeviceLlamaModel device = new DeviceLlamaModel(gpu, CONFIG, StorageType.BF16, 2, 9, 4, 5L * 29)) {
            device.setParameters(0, weights);
            double loss = device.forwardBackward(batch, 1.0);
            assertEquals(cpuLoss, loss, 2e-2 * Math.abs(cpuLoss));
            float[] grads = device.gradients(0, cpuGrads.length);
            double error = KernelChecks.relativeError(grads, HostTransfer.toDoubles(cpuGrads));
            assertTrue(error < 5e-2, "bf16 gradients track fp32: " + error);
        }
    }
}
