package org.twllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
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

    /** Runs the CLI with {@code stdin}, returning exit code, stdout and stderr. */
    private static String[] run(String stdin, String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        InputStream in = System.in;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
            int code = Main.run(args);
            return new String[] {String.valueOf(code), o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8)};
        } finally {
            System.setOut(out);
            System.setErr(err);
            System.setIn(in);
        }
    }

    @Test
    void generateIsDeterministicForASeedAndReportsTokensPerSecond() {
        String[] args = {"generate", "--model", model.toString(), "--tokenizer", TOKENIZER, "--prompt", "春眠不覺曉",
            "--max-new-tokens", "12", "--temperature", "0.8", "--top-k", "50", "--top-p", "0.9", "--seed", "5"};
        String[] a = run("", args);
        String[] b = run("", args);
        assertEquals("0", a[0], a[2]);
        assertEquals(a[1], b[1]);
        assertTrue(a[2].contains("new tokens") && a[2].contains("tokens/s"), a[2]);
        String[] bad = run("", "generate", "--model", model.toString(), "--tokenizer", TOKENIZER, "--prompt", "x", "--top-p", "0");
        assertEquals("2", bad[0]);
        assertTrue(bad[2].contains("top-p"), bad[2]);
    }

    @Test
    void chatAnswersEachPipedLineWithTheTemplateAndHistory() {
        String[] common = {"--model", model.toString(), "--tokenizer", TOKENIZER, "--max-new-tokens", "6"};
        String[] chat = run("你好\n\n臺灣最高的山是哪一座？\n/exit\nnot read\n", concat(new String[] {"chat"}, common));
        assertEquals("0", chat[0], chat[2]);
        List<String> replies = chat[1].lines().toList();
        assertEquals(2, replies.size(), chat[1]);
        // The first reply is what generate --chat gives for the same message (greedy, same template).
        String[] single = run("", concat(new String[] {"generate", "--chat", "--prompt", "你好"}, common));
        assertEquals(single[1].strip(), replies.get(0).strip());
        // The second turn's prompt holds the first exchange: its cached prefix was reused.
        List<String> stats = chat[2].lines().filter(l -> l.startsWith("[generate]")).toList();
        assertEquals(2, stats.size(), chat[2]);
        assertTrue(stats.get(0).contains("(0 from cache)"), stats.get(0));
        assertTrue(!stats.get(1).contains("(0 from cache)"), stats.get(1));
    }

    @Test
    void evalWritesEveryTaskMetric() throws Exception {
        Path out = dir.resolve("results.json");
        Path eval = FIXTURES.resolve("eval");
        String tasks = "qa=" + eval.resolve("qa.jsonl") + ",mc=" + eval.resolve("mc.jsonl") + ",summarization="
                + eval.resolve("summarization.jsonl") + ",perplexity=" + eval.resolve("perplexity.jsonl");
        String[] r = run("", "eval", "--model", model.toString(), "--tokenizer", TOKENIZER, "--chat-template", "taiwan-llm",
                "--tasks", tasks, "--out", out.toString(), "--max-new-tokens", "4", "--predictions", dir.resolve("p.jsonl").toString());
        assertEquals("0", r[0], r[2]);
        Map<String, Double> metrics = EvalReport.readMetrics(out);
        assertEquals(List.of("qa/exact_match", "qa/prefix_exact_match", "mc/accuracy_generated", "mc/accuracy_loglik",
                "summarization/rouge2_f1", "summarization/rouge2_precision", "summarization/rouge2_recall",
                "perplexity/mean_loss", "perplexity/perplexity", "perplexity/tokens"), List.copyOf(metrics.keySet()));
        // A random model over 8,000 tokens: loss near ln(8000) = 8.99.
        assertTrue(Math.abs(metrics.get("perplexity/mean_loss") - Math.log(8000)) < 1.0, metrics.toString());
        assertEquals(3 + 3 + 2 + 3, Files.readAllLines(dir.resolve("p.jsonl")).size());
        assertTrue(r[1].contains("prefix_exact_match"), r[1]);
        String[] missing = run("", "eval", "--model", model.toString(), "--tokenizer", TOKENIZER, "--tasks", "qa=nope.jsonl", "--out", out.toString());
        assertEquals("2", missing[0]);
        assertTrue(missing[2].contains("nope.jsonl does not exist"), missing[2]);
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
