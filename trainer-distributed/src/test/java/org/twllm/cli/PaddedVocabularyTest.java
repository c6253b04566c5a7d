package org.twllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model may have more embedding rows than the tokenizer has pieces (HF pads vocabularies), never fewer:
 * {@code train}, {@code data prepare} and {@code score} agree on both. The fixture tokenizer has 8,000 pieces.
 */
class PaddedVocabularyTest {
    private static final Path TOKENIZER = Path.of(System.getProperty("twllm.fixtures")).resolve("tokenizer/zh-tw-bpe-8k.model");

    @Test
    void aPaddedVocabularyTrainsPreparesAndScores(@TempDir Path dir) throws Exception {
        Path config = CliRun.tinyCpt(dir, 8064, "");
        CliRun prepared = CliRun.of("data", "prepare", "--config", config.toString());
        assertEquals(Main.EXIT_OK, prepared.code(), prepared.err());
        CliRun trained = CliRun.of("train", "--stage", "cpt", "--config", config.toString());
        assertEquals(Main.EXIT_OK, trained.code(), trained.err());
        Path model = dir.resolve("run/final");
        assertEquals(8064, new ObjectMapper().readTree(model.resolve("config.json").toFile()).get("vocab_size").asInt());

        CliRun scored = CliRun.of("score", "--model", model.toString(), "--text", "床前明月光",
                "--tokenizer", TOKENIZER.toString());
        assertEquals(Main.EXIT_OK, scored.code(), scored.err());
        JsonNode logProbs = new ObjectMapper().readTree(scored.out());
        assertTrue(logProbs.size() > 0 && logProbs.get(0).asDouble() < 0, scored.out());
    }

    @Test
    void aVocabularySmallerThanTheTokenizerIsRefusedNamingBothSizes(@TempDir Path dir) throws Exception {
        Path config = CliRun.tinyCpt(dir, 7999, "");
        for (String[] command : new String[][] {{"train", "--stage", "cpt", "--config", config.toString()},
                {"data", "prepare", "--config", config.toString()}}) {
            CliRun r = CliRun.of(command);
            assertEquals(Main.EXIT_USAGE, r.code(), command[0]);
            assertTrue(r.err().contains("vocab_size: 7999 is smaller than the tokenizer's vocabulary (8000 pieces)"), r.err());
        }
        CliRun scored = CliRun.of("score", "--model", Path.of(System.getProperty("twllm.fixtures"))
                .resolve("reference/llama-tiny").toString(), "--text", "你好", "--tokenizer", TOKENIZER.toString());
        assertEquals(Main.EXIT_USAGE, scored.code());
        assertTrue(scored.err().contains("the model's vocab_size is 67, smaller than the tokenizer's 8000 pieces"), scored.err());
    }
}
