package org.twllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twllm.core.eval.EvalReport;

/** twllm generate, chat (stdin piped) and eval on a tiny random model with the fixture tokenizer. */
class GenerationCommandsTest {
    private static final Path FIXTURES = Path.of(System.getProperty("twllm.fixtures"));
    private static final String TOKENIZER = FIXTURES.resolve("tokenizer/zh-tw-bpe-8k.model").toString();

    @TempDir
    static Path dir;
    static Path model;

    @BeforeAll
    static void tinyModel() {
        model = CliRun.tinyModel(dir.resolve("model"), 512);
    }

    @Test
    void generateIsDeterministicForASeedAndReportsTokensPerSecond() {
        String[] args = {"generate", "--model", model.toString(), "--tokenizer", TOKENIZER, "--prompt", "春眠不覺曉",
            "--max-new-tokens", "12", "--temperature", "0.8", "--top-k", "50", "--top-p", "0.9", "--seed", "5"};
        CliRun a = CliRun.of(args);
        CliRun b = CliRun.of(args);
        assertEquals(0, a.code(), a.err());
        assertEquals(a.out(), b.out());
        assertTrue(a.err().contains("new tokens") && a.err().contains("tokens/s"), a.err());
        CliRun bad = CliRun.of("generate", "--model", model.toString(), "--tokenizer", TOKENIZER, "--prompt", "x", "--top-p", "0");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("top-p"), bad.err());
    }

    @Test
    void chatAnswersEachPipedLineWithTheTemplateAndHistory() {
        String[] common = {"--model", model.toString(), "--tokenizer", TOKENIZER, "--max-new-tokens", "6"};
        CliRun chat = CliRun.withInput("你好\n\n臺灣最高的山是哪一座？\n/exit\nnot read\n", concat(new String[] {"chat"}, common));
        assertEquals(0, chat.code(), chat.err());
        List<String> replies = chat.out().lines().toList();
        assertEquals(2, replies.size(), chat.out());
        // The first reply is what generate --chat gives for the same message (greedy, same template).
        CliRun single = CliRun.of(concat(new String[] {"generate", "--chat", "--prompt", "你好"}, common));
        assertEquals(single.out().strip(), replies.get(0).strip());
        // The second turn's prompt holds the first exchange: its cached prefix was reused.
        List<String> stats = chat.err().lines().filter(l -> l.startsWith("[generate]")).toList();
        assertEquals(2, stats.size(), chat.err());
        assertTrue(stats.get(0).contains("(0 from cache)"), stats.get(0));
        assertTrue(!stats.get(1).contains("(0 from cache)"), stats.get(1));
    }

    @Test
    void evalWritesEveryTaskMetric() throws Exception {
        Path out = dir.resolve("results.json");
        Path eval = FIXTURES.resolve("eval");
        String tasks = "qa=" + eval.resolve("qa.jsonl") + ",mc=" + eval.resolve("mc.jsonl") + ",summarization="
                + eval.resolve("summarization.jsonl") + ",perplexity=" + eval.resolve("perplexity.jsonl");
        CliRun r = CliRun.of("eval", "--model", model.toString(), "--tokenizer", TOKENIZER, "--chat-template", "taiwan-llm",
                "--tasks", tasks, "--out", out.toString(), "--max-new-tokens", "4", "--predictions", dir.resolve("p.jsonl").toString());
        assertEquals(0, r.code(), r.err());
        Map<String, Double> metrics = EvalReport.readMetrics(out);
        assertEquals(List.of("qa/exact_match", "qa/prefix_exact_match", "mc/accuracy_generated", "mc/accuracy_loglik",
                "summarization/rouge2_f1", "summarization/rouge2_precision", "summarization/rouge2_recall",
                "perplexity/mean_loss", "perplexity/perplexity", "perplexity/tokens"), List.copyOf(metrics.keySet()));
        // A random model over 8,000 tokens: loss near ln(8000) = 8.99.
        assertTrue(Math.abs(metrics.get("perplexity/mean_loss") - Math.log(8000)) < 1.0, metrics.toString());
        assertEquals(3 + 3 + 2 + 3, Files.readAllLines(dir.resolve("p.jsonl")).size());
        assertTrue(r.out().contains("prefix_exact_match"), r.out());
        CliRun missing = CliRun.of("eval", "--model", model.toString(), "--tokenizer", TOKENIZER, "--tasks", "qa=nope.jsonl", "--out", out.toString());
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("nope.jsonl does not exist"), missing.err());
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
