package org.twllm.core.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.twllm.core.config.ConfigValidation;
import org.twllm.core.config.StageConfigLoader;
import org.twllm.core.config.StageConfigLoader.FileChecks;
import org.twllm.errors.ConfigException;

/**
 * Issue 11 §6: nothing in the shipped Llama-2 configs is refused as unsupported by {@code twllm train} on the CPU
 * engine (gradient checkpointing, ZeRO-2 partitioned gradients, 48 ranks, bucket size) except, until the bf16
 * engine mode lands, {@code training.precision: bf16}. {@code device.backend: cuda} stays refused while the build
 * has no CUDA engine, so the configs are checked with {@code device.backend=cpu}.
 */
class ShippedLlamaConfigsSupportedTest {
    private static final Path REPO = Path.of(System.getProperty("twllm.fixtures", "../src-test-fixtures"))
            .toAbsolutePath().normalize().getParent();
    /** The one refusal left before the bf16 mode is merged; afterwards the list must be empty. */
    private static final String BF16_NOT_YET = "training.precision: bf16 is not implemented yet;";

    @ParameterizedTest(name = "{0}")
    @CsvSource({"llama2-7b/cpt.yaml", "llama2-7b/sft.yaml", "llama2-7b/feedback-sft.yaml",
                "llama2-13b/cpt.yaml", "llama2-13b/sft.yaml", "llama2-13b/feedback-sft.yaml"})
    void nothingButBf16IsRefused(String config) {
        ConfigValidation v = StageConfigLoader.validate(Path.of("configs", config), List.of("device.backend=cpu"), REPO,
                FileChecks.NONE);
        assertEquals(List.of(), v.problems(), config);
        List<String> refused;
        try {
            UnsupportedSettings.requireSupported(v.config());
            refused = List.of();
        } catch (ConfigException e) {
            refused = e.problems();
        }
        assertTrue(refused.isEmpty() || refused.size() == 1 && refused.get(0).startsWith(BF16_NOT_YET), config + ": " + refused);
    }
}
