package org.twllm.core.train;

import org.twllm.core.config.StageConfig;
import org.twllm.core.config.TrainingConfig;
import org.twllm.errors.ConfigException;

/**
 * Refuses, before any work, settings the config format accepts but no engine carries out, so that no run
 * silently trains differently from what its config says.
 */
final class UnsupportedSettings {
    private UnsupportedSettings() {
    }

    static void requireSupported(StageConfig config) {
        if (config.training().precision() == TrainingConfig.Precision.FP16) {
            throw new ConfigException("training.precision: fp16 is not implemented (it needs loss scaling); set"
                    + " training.precision: bf16, the paper's mixed precision, or fp32");
        }
    }
}
