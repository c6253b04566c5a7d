package org.twllm.cli;

import org.twllm.ModelFiles;
import org.twllm.core.engine.Engine;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twllm.core.eval.TokenLogProbs;
import org.twllm.core.engine.LlamaConfig;
import org.twllm.core.engine.TokenBatch;
import org.twllm.data.tokenizer.SentencePieceTokenizer;

/** {@code twllm score} through {@link Main#run}. */
class ScoreCommandTest {
    private static final Path FIXTURES = Path.of(System.getProperty("twllm.fixtures", "../src-test-fixtures"));
    private static final Path REFERENCE = FIXTURES.resolve("reference");
    private static final Path TOKENIZER = FIXTURES.resolve("tokenizer/zh-tw-bpe-8k.model");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    @Test
    void idsGiveThePyTorchReferenceLogProbs() throws Exception {
        JsonNode expected = JSON.readTree(REFERENCE.resolve("llama-tiny-expected.json").toFile()).get("cases").get(1);
        StringBuilder ids = new StringBuilder("[").append(expected.get("inputs").get(0).asInt());
        for (JsonNode target : expected.get("targets")) {
            ids.append(',').append(target.asInt());
        }
        CliRun r = CliRun.of("score", "--model", REFERENCE.resolve("llama-tiny").toString(), "--ids", ids.append(']').toString());
        assertEquals(0, r.code(), r.err());
        JsonNode got = JSON.readTree(r.out());
        assertEquals(expected.get("target_log_probs").size(), got.size());
        for (int i = 0; i < got.size(); i++) {
            assertEquals(expected.get("target_log_probs").get(i).asDouble(), got.get(i).asDouble(), 1e-5);
        }
    }

    @Test
    void textScoresBosAndTextAndPerplexityBosTextAndEos() throws Exception {
        SentencePieceTokenizer tokenizer = SentencePieceTokenizer.load(TOKENIZER);
        Engine model = ModelFiles.random(new LlamaConfig(16, 24, 1, 2, 1, tokenizer.vocabSize(), 64, 1e-5, 10000.0, true), 3, 0.05);
        Path dir = ModelFiles.save(model, tmp.resolve("model"));
        String text = "床前明月光，疑是地上霜。";

        CliRun r = CliRun.of("score", "--model", dir.toString(), "--text", text, "--tokenizer", TOKENIZER.toString());
        assertEquals(0, r.code(), r.err());
        int[] body = tokenizer.encode(text);
        int[] ids = new int[body.length + 1];
        ids[0] = tokenizer.bosId();
        System.arraycopy(body, 0, ids, 1, body.length);
        int[] in = java.util.Arrays.copyOf(ids, body.length);
        int[] tg = java.util.Arrays.copyOfRange(ids, 1, ids.length);
        float[] direct = model.targetLogProbs(TokenBatch.causal(new int[][] {in}, new int[][] {tg}));
        JsonNode got = JSON.readTree(r.out());
        assertEquals(body.length, got.size());
        for (int i = 0; i < got.size(); i++) {
            assertEquals(direct[i], got.get(i).asDouble(), 1e-6);
        }

        // --perplexity scores [BOS] text [EOS] (docs/evaluation.md): the direct log-probabilities plus EOS's.
        Path jsonl = tmp.resolve("texts.jsonl");
        Files.writeString(jsonl, JSON.writeValueAsString(java.util.Map.of("text", text)) + "\n");
        CliRun p = CliRun.of("score", "--model", dir.toString(), "--perplexity", jsonl.toString(), "--tokenizer", TOKENIZER.toString());
        assertEquals(0, p.code(), p.err());
        JsonNode ppl = JSON.readTree(p.out());
        int[] withEos = java.util.Arrays.copyOf(ids, ids.length + 1);
        withEos[ids.length] = tokenizer.eosId();
        float[] all = TokenLogProbs.of(model, withEos);
        double mean = 0;
        for (float v : all) {
            mean -= v;
        }
        mean /= all.length;
        assertEquals(mean, ppl.get("mean_loss").asDouble(), 1e-5);
        // exp of the mean loss: relative 1e-6 (mean_loss within 1e-6), tighter than the mean_loss check above
        assertEquals(Math.exp(mean), ppl.get("perplexity").asDouble(), 1e-6 * Math.exp(mean));
        assertEquals(body.length + 1, ppl.get("tokens").asInt());
        assertEquals(1, ppl.get("documents").asInt());
    }

    @Test
    void badInputIsAUsageError() {
        String model = REFERENCE.resolve("llama-tiny").toString();
        CliRun vocab = CliRun.of("score", "--model", model, "--text", "你好", "--tokenizer", TOKENIZER.toString());
        assertEquals(Main.EXIT_USAGE, vocab.code());
        assertTrue(vocab.err().contains("vocab_size is 67"), vocab.err());
        CliRun ids = CliRun.of("score", "--model", model, "--ids", "[1, 2, 900]");
        assertEquals(Main.EXIT_USAGE, ids.code());
        assertTrue(ids.err().contains("token id 900") || ids.err().contains("target id 900"), ids.err());
        assertEquals(Main.EXIT_USAGE, CliRun.of("score", "--model", model, "--ids", "one two").code());
        assertEquals(Main.EXIT_USAGE, CliRun.of("score", "--model", tmp.resolve("none").toString(), "--ids", "[1,2]").code());
    }
}
