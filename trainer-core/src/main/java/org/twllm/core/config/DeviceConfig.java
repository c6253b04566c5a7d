package org.twllm.core.config;

/** Where tensors live ({@code device:}). */
public record DeviceConfig(Values values) implements ConfigSection {
    static final KeyTable<DeviceConfig> KEYS = new KeyTable<>(DeviceConfig::new);

    public static final Key<Backend> BACKEND = KEYS.key("backend", ValueTypes.oneOf(Backend.class)).byDefault(Backend.CPU)
            .doc("the engine: `cpu` (ND4J, the reference) or `cuda` (the CUDA engine: one NVIDIA GPU per process with CUDA 13;"
                    + " `twllm train` says in one sentence when the driver or a GPU is missing; docs/gpu.md)");
    public static final Key<Double> PEAK_FLOPS = KEYS.key("peak_flops", ValueTypes.positive())
            .doc("the device's peak FLOP/s, for MFU; null = measured at start-up (CPU: the fastest fp32 GEMM of sizes"
                    + " 512, 1024, 2048)");

    public DeviceConfig {
        KEYS.requireOwn(values);
    }

    public Backend backend() {
        return values.get(BACKEND);
    }

    /** Null: measure it at start-up. */
    public Double peakFlops() {
        return values.get(PEAK_FLOPS);
    }

    public enum Backend implements YamlEnum {
        CPU, CUDA
    }
}
