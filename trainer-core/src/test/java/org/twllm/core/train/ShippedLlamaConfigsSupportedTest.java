package org.twllm.core.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.twllm.core.config.ConfigValidation;
import org.twllm.core.config.StageConfigLoader;
import org.twllm.core.config.StageConfigLoader.FileChecks;
import org.twllm.errors.ConfigException;

/**
 * Issue 11 §6: nothing in the shipped Llama-2 configs (bf16, gradient checkpointing, ZeRO-2 partitioned gradients,
 * 48 ranks, bucket size) is refused as unsupported by {@code twllm train}, neither as shipped ({@code device.backend:
 * cuda}, whose engine this build has) nor on the CPU engine.
 */
class ShippedLlamaConfigsSupportedTest {
    private static final Path REPO = Path.of(System.getProperty("twllm.fixtures", "../src-test-fixtures"))
            .toAbsolutePath().normalize().getParent();
    @ParameterizedTest(name = "{0}")
    @CsvSource({"llama2-7b/cpt.yaml", "llama2-7b/sft.yaml", "llama2-7b/feedback-sft.yaml",
                "llama2-13b/cpt.yaml", "llama2-13b/sft.yaml", "llama2-13b/feedback-sft.yaml"})
    void nothingIsRefused(String config) {
        refusals(config, List.of());
        refusals(config, List.of("device.backend=cpu"));
    }

    private static void refusals(String config, List<String> sets) {
        ConfigValidation v = StageConfigLoader.validate(Path.of("configs", config), sets, REPO,
                FileChecks.NONE);
        assertEquals(List.of(), v.problems(), config);
        List<String> refused;
        try {
            UnsupportedSettings.requireSupported(v.config());
            refused = List.of();
        } catch (ConfigException e) {
            refused = e.problems();
        }
        assertEquals(List.of(), refused, config + " " + sets);
    }
}
