package org.twllm.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.twllm.core.config.StageConfigLoader.FileChecks;
import org.twllm.core.engine.LlamaConfig;

/**
 * Every stage config under configs/ validates, from the repository root. Skipped: sweeps/ (sweep
 * files, checked by the sweep command) and base.yaml files (shared fragments, valid only through a
 * stage file that names them). configs/tiny is checked with its input files required (its model.init
 * from the earlier stage may be missing); the llama2 configs name weights and corpora that are not on
 * this machine, so they are checked with FileChecks.NONE.
 */
class ShippedConfigsTest {
    static final Path REPO = Path.of(System.getProperty("twllm.fixtures", "../src-test-fixtures"))
            .toAbsolutePath().normalize().getParent();

    static List<Path> stageConfigs() throws IOException {
        Path configs = REPO.resolve("configs");
        try (Stream<Path> files = Files.walk(configs)) {
            return files.filter(p -> p.toString().endsWith(".yaml"))
                    .filter(p -> !configs.relativize(p).startsWith("sweeps"))
                    .filter(p -> !p.getFileName().toString().equals("base.yaml"))
                    .sorted().toList();
        }
    }

    private static ConfigValidation validate(Path file) {
        FileChecks checks = REPO.resolve("configs/tiny").equals(file.getParent())
                ? FileChecks.MISSING_INIT_IS_WARNING : FileChecks.NONE;
        return StageConfigLoader.validate(REPO.relativize(file), List.of(), REPO, checks);
    }

    @Test
    void everyShippedStageConfigValidates() throws IOException {
        List<Path> files = stageConfigs();
        assertEquals(9, files.size(), files.toString());
        for (Path file : files) {
            ConfigValidation v = validate(file);
            assertEquals(List.of(), v.problems(), file.toString());
            String stage = file.getFileName().toString().replace(".yaml", "");
            assertEquals(stage, v.config().stage().yamlName(), file.toString());
        }
    }

    @Test
    void tinyStagesChainThroughTheirFinalModels() {
        StageConfig cpt = validate(REPO.resolve("configs/tiny/cpt.yaml")).config();
        StageConfig sft = validate(REPO.resolve("configs/tiny/sft.yaml")).config();
        StageConfig feedback = validate(REPO.resolve("configs/tiny/feedback-sft.yaml")).config();
        assertEquals(cpt.run().outputDir().resolve("final"), sft.model().init());
        assertEquals(sft.run().outputDir().resolve("final"), feedback.model().init());
        LlamaConfig tiny = cpt.model().architecture();
        long params = tiny.numParameters();
        assertFalse(params < 3_000_000 || params > 5_000_000, "tiny model has " + params + " parameters");
        assertEquals(8000, tiny.vocabSize());
        assertEquals(DeviceConfig.Backend.CPU, cpt.device().backend());
    }

    @Test
    void llamaConfigsFollowThePaperSetup() {
        for (String size : List.of("llama2-7b", "llama2-13b")) {
            for (String stage : List.of("cpt", "sft", "feedback-sft")) {
                Path file = REPO.resolve("configs/" + size + "/" + stage + ".yaml");
                StageConfig c = validate(file).config();
                assertNull(c.model().architecture(), file + ": weights come from model.init");
                assertEquals(4096, c.data().seqLen(), file.toString());
                assertEquals(TrainingConfig.Precision.BF16, c.training().precision(), file.toString());
                assertEquals(0.0, c.training().weightDecay(), file.toString());
                assertEquals(2, c.distributed().zeroStage(), file.toString());
                assertEquals(48, c.distributed().worldSize(), file.toString());
                assertEquals(DeviceConfig.Backend.CUDA, c.device().backend(), file.toString());
                assertEquals(stage.equals("cpt") ? 480 : 96, c.globalBatchSize(), file.toString());
            }
        }
    }
}
