package org.twllm.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.twllm.core.config.StageConfigLoader.FileChecks;

/** Every config under configs/ (except sweeps/) validates, run from the repository root. */
class ShippedConfigsTest {
    static final Path REPO = Path.of(System.getProperty("twllm.fixtures", "../src-test-fixtures"))
            .toAbsolutePath().normalize().getParent();

    static List<Path> shippedConfigs() throws IOException {
        try (Stream<Path> files = Files.walk(REPO.resolve("configs"))) {
            return files.filter(p -> p.toString().endsWith(".yaml"))
                    .filter(p -> !REPO.resolve("configs").relativize(p).startsWith("sweeps"))
                    .filter(p -> !p.getFileName().toString().equals("base.yaml"))
                    .sorted().toList();
        }
    }

    @Test
    void tinyConfigsValidateWithTheirInputFilesPresent() throws IOException {
        for (String stage : List.of("cpt", "sft", "feedback-sft")) {
            Path file = REPO.resolve("configs/tiny/" + stage + ".yaml");
            ConfigValidation v = StageConfigLoader.validate(file, List.of(), REPO, FileChecks.MISSING_INIT_IS_WARNING);
            assertEquals(List.of(), v.problems(), file.toString());
            assertEquals(stage, v.config().stage().yamlName());
            System.out.println(v.warnings());
            System.out.println(v.config().toYaml());
        }
    }
}
