package org.twllm.core.config;

/**
 * @param backend   where tensors live
 * @param peakFlops peak FLOP/s used for MFU, or null to measure it at start-up (CPU)
 */
public record DeviceConfig(Backend backend, Double peakFlops) {

    public enum Backend {
        CPU, CUDA;

        public String yamlName() {
            return YamlEnum.name(this);
        }
    }
}
