package org.twllm.core.train;

import java.util.ArrayList;
import java.util.List;

import org.nd4j.linalg.factory.Nd4j;
import org.twllm.core.config.DeviceConfig;
import org.twllm.core.config.StageConfig;
import org.twllm.core.config.TrainingConfig;
import org.twllm.errors.ConfigException;

/**
 * Refuses, before any work, settings the config format accepts but this engine does not carry out yet,
 * so that no run silently trains differently from what its config says.
 */
final class UnsupportedSettings {
    private UnsupportedSettings() {
    }

    static void requireSupported(StageConfig config) {
        List<String> problems = new ArrayList<>();
        TrainingConfig training = config.training();
        if (training.precision() != TrainingConfig.Precision.FP32) {
            problems.add("training.precision: " + training.precision().yamlName() + " is not implemented yet; twllm trains"
                    + " in fp32 (ND4J's CPU backend computes BF16/FP16 matrix products incorrectly); set training.precision: fp32");
        }
        boolean cudaBuild = Nd4j.getBackend().getClass().getName().contains("jcublas");
        if (config.device().backend() == DeviceConfig.Backend.CUDA && !cudaBuild) {
            problems.add("device.backend: cuda, but this build carries ND4J's CPU backend; rebuild with"
                    + " `mvn -Pcuda -DskipTests package` or set device.backend: cpu");
        } else if (config.device().backend() == DeviceConfig.Backend.CPU && cudaBuild) {
            problems.add("device.backend: cpu, but this build carries ND4J's CUDA backend; set device.backend: cuda"
                    + " or rebuild without -Pcuda");
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
    }
}
