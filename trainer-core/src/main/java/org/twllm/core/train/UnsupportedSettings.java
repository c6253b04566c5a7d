package org.twllm.core.train;

import java.util.ArrayList;
import java.util.List;

import org.twllm.core.config.DeviceConfig;
import org.twllm.core.config.StageConfig;
import org.twllm.core.config.TrainingConfig;
import org.twllm.core.engine.Engines;
import org.twllm.errors.ConfigException;

/**
 * Refuses, before any work, settings the config format accepts but no engine of this build carries out, so that
 * no run silently trains differently from what its config says.
 */
final class UnsupportedSettings {
    private UnsupportedSettings() {
    }

    static void requireSupported(StageConfig config) {
        List<String> problems = new ArrayList<>();
        TrainingConfig.Precision precision = config.training().precision();
        if (precision == TrainingConfig.Precision.FP16) {
            problems.add("training.precision: fp16 is not implemented (it needs loss scaling); set"
                    + " training.precision: bf16, the paper's mixed precision, or fp32");
        } else if (precision == TrainingConfig.Precision.BF16) {
            // The engines' bf16 mode (bf16 compute weights, fp32 masters) is not built yet: CpuEngine refuses it.
            problems.add("training.precision: bf16 is not implemented yet; the CPU engine trains in fp32;"
                    + " set training.precision: fp32");
        }
        if (config.device().backend() == DeviceConfig.Backend.CUDA && !Engines.inThisBuild(Engines.CUDA)) {
            problems.add("device.backend: cuda, but this build has no CUDA training engine yet; set device.backend: cpu");
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
    }
}
