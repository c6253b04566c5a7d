package org.twllm.core.engine.cuda;

import org.twllm.core.engine.Engine;
import org.twllm.core.engine.EngineFactory;
import org.twllm.core.engine.EngineSettings;
import org.twllm.core.engine.LlamaConfig;
import org.twllm.errors.ConfigException;

/**
 * Makes CUDA engines ({@code device.backend: cuda}); loaded by class name through {@code Engines}, so nothing
 * here is linked on the CPU path. Each process drives one GPU: with several visible, rank {@code LOCAL_RANK}
 * takes GPU {@code LOCAL_RANK mod count} (with {@code CUDA_VISIBLE_DEVICES} naming one GPU per process, GPU 0).
 */
public final class CudaEngineFactory implements EngineFactory {
    /** Attention key tile on a GPU (a multiple of the tensor cores' tile; scratch is [kvHeads, seqLen, tile]). */
    static final int KEY_TILE = 128;
    /** Most fp32 logits of one LM-head chunk: 64 MiB. */
    static final long LM_HEAD_CHUNK = 1L << 24;
    /** Side of the peak-rate probe's square GEMMs. */
    private static final int PROBE_SIZE = 8192;

    @Override
    public void requireAvailable() {
        CudaRuntime.requireDevice();
    }

    @Override
    public Engine create(LlamaConfig config, EngineSettings settings) {
        if (settings.gradientCheckpointing()) {
            throw new ConfigException("training.gradient_checkpointing is not implemented on the CUDA engine yet; set it to false"
                    + " with device.backend: cuda");
        }
        CudaGpu gpu = open();
        return new CudaEngine(gpu, (slots, elements) -> new StreamBucketCopies(gpu, slots, elements), config, settings, KEY_TILE,
                LM_HEAD_CHUNK);
    }

    @Override
    public double measurePeakFlops(double seconds) {
        try (CudaGpu gpu = open()) {
            return GemmProbe.measure(gpu, PROBE_SIZE, seconds);
        }
    }

    private static CudaGpu open() {
        int count = CudaRuntime.requireDevice();
        int localRank = Integer.parseInt(System.getenv().getOrDefault("LOCAL_RANK", "0").trim());
        return CudaGpu.open(Math.floorMod(localRank, count));
    }
}
