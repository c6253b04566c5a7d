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
        } else if (precision == TrainingConfig.Precision.BF16 && config.device().backend() == DeviceConfig.Backend.CPU) {
            // The CPU engine's bf16 mode (bf16-rounded compute weights, fp32 masters) is not built yet; the CUDA engine has one.
            problems.add("training.precision: bf16 is not implemented on the CPU engine yet; set training.precision: fp32,"
                    + " or train in bf16 on a GPU with device.backend: cuda");
        }
        if (config.device().backend() == DeviceConfig.Backend.CUDA && !Engines.inThisBuild(Engines.CUDA)) {
            problems.add("device.backend: cuda, but this build has no CUDA training engine yet; set device.backend: cpu");
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
    }
}
