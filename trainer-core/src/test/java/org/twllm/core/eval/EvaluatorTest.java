package org.twllm.core.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twllm.core.generate.ChatPromptFormat;
import org.twllm.core.generate.GenerationResult;
import org.twllm.core.generate.LanguageModel;
import org.twllm.core.generate.SamplingSettings;
import org.twllm.data.chat.ChatTemplates;
import org.twllm.data.tokenizer.CodePointTokenizer;

/** The evaluator's plumbing and metrics with a scripted model whose answers and scores are known. */
class EvaluatorTest {
    private static final Path FIXTURES = TaskFileReaderTest.FIXTURES;
    private final CodePointTokenizer tokenizer = CodePointTokenizer.allCodePoints();

    /** Answers from a script; every scored token has log-probability -1, or -0.1 where the text holds "C". */
    private static final class ScriptedModel implements LanguageModel {
        final Deque<String> answers;
        final List<int[]> prompts = new ArrayList<>();
        final int context;

        ScriptedModel(int context, String... answers) {
            this.context = context;
            this.answers = new ArrayDeque<>(List.of(answers));
        }

        @Override
        public GenerationResult generate(int[] prompt, SamplingSettings settings) {
            prompts.add(prompt);
            String text = answers.removeFirst();
            return new GenerationResult(new int[text.length()], text, GenerationResult.StopReason.EOS, prompt.length, 0, 0, 0);
        }

        @Override
        public double[] logProbs(int[] tokens, int from) {
            assertTrue(tokens.length <= context, "sequence longer than the context");
            boolean hasC = false;
            for (int i = from; i < tokens.length; i++) {
                hasC |= tokens[i] == CodePointTokenizer.id('C');
            }
            double[] out = new double[tokens.length - from];
            java.util.Arrays.fill(out, hasC ? -0.1 : -1.0);
            return out;
        }

        @Override
        public int contextLength() {
            return context;
        }
    }

    private Evaluator evaluator(ScriptedModel model) {
        ChatPromptFormat format = new ChatPromptFormat(ChatTemplates.byName("taiwan-llm", null, null), tokenizer);
        return new Evaluator(model, format, tokenizer, Evaluator.Limits.DEFAULT);
    }

    @Test
    void qaScoresExactAndPrefixMatch() {
        ScriptedModel model = new ScriptedModel(4096, "信義區", "答案是南投縣。", "1911年");
        TaskResult r = evaluator(model).run(new TaskSpec("qa", TaskKind.QA, FIXTURES.resolve("qa.jsonl")));
        assertEquals(3, r.examples());
        assertEquals(1.0 / 3, r.metrics().get("exact_match"), 1e-12);
        assertEquals(2.0 / 3, r.metrics().get("prefix_exact_match"), 1e-12);
        // The prompt is the SFT template's rendering of the QA instruction, context and question.
        String prompt = tokenizer.decode(model.prompts.get(0));
        assertTrue(prompt.startsWith(TaiwanLlmDefaults.SYSTEM + "USER: " + Evaluator.QA_INSTRUCTION), prompt);
        assertTrue(prompt.endsWith("問題：臺北101位於哪一個行政區？ ASSISTANT:"), prompt);
    }

    @Test
    void multipleChoiceByGeneratedLetterAndByLogLikelihood() {
        ScriptedModel model = new ScriptedModel(4096, "A) 玉山", "B", "A");
        TaskResult r = evaluator(model).run(new TaskSpec("mc", TaskKind.MC, FIXTURES.resolve("mc.jsonl")));
        // Generated: A (gold A), B (gold C), A (gold A).
        assertEquals(2.0 / 3, r.metrics().get("accuracy_generated"), 1e-12);
        // Log-likelihood prefers the reply containing "C": mc-1 picks C (gold A), mc-2 picks C (gold C);
        // mc-3 has no C, equal scores, the first option A wins (gold A).
        assertEquals(2.0 / 3, r.metrics().get("accuracy_loglik"), 1e-12);
        // The generation prompt ends with the reply's start "(".
        assertTrue(tokenizer.decode(model.prompts.get(0)).endsWith("ASSISTANT:("));
    }

    @Test
    void summarizationAveragesRouge2() {
        ScriptedModel model = new ScriptedModel(4096, "連假國道實施高乘載管制", "");
        TaskResult r = evaluator(model).run(new TaskSpec("sum", TaskKind.SUMMARIZATION, FIXTURES.resolve("summarization.jsonl")));
        // sum-1: 10 candidate bigrams all in the reference's 15: P 1, R 2/3, F1 0.8; sum-2: empty, 0.
        assertEquals(0.4, r.metrics().get("rouge2_f1"), 1e-12);
        assertEquals(0.5, r.metrics().get("rouge2_precision"), 1e-12);
    }

    @Test
    void perplexityCoversEveryTokenOnceAcrossWindows() {
        List<EvalExamples.Text> texts = TaskFileReader.readText(FIXTURES.resolve("perplexity.jsonl"));
        long expectedTokens = texts.stream().mapToLong(t -> t.text().codePointCount(0, t.text().length()) + 1).sum();
        for (int context : new int[] {4096, 8}) {
            TaskResult r = evaluator(new ScriptedModel(context)).run(new TaskSpec("ppl", TaskKind.PERPLEXITY, FIXTURES.resolve("perplexity.jsonl")));
            assertEquals((double) expectedTokens, r.metrics().get("tokens"));
            assertEquals(1.0, r.metrics().get("mean_loss"), 1e-12);
            assertEquals(Math.E, r.metrics().get("perplexity"), 1e-9);
        }
    }

    @Test
    void resultsRoundTripThroughJson(@TempDir Path dir) {
        TaskResult r = new TaskResult("drcd", TaskKind.QA, 2, 0, Map.of("exact_match", 0.5), List.of(), 1.0);
        Path file = dir.resolve("results.json");
        EvalReport.writeJson(file, "m", "plain", List.of(r));
        assertEquals(Map.of("drcd/exact_match", 0.5), EvalReport.readMetrics(file));
        assertTrue(EvalReport.table(List.of(r)).contains("exact_match"));
    }

    @Test
    void taskListParsing() {
        List<TaskSpec> tasks = TaskSpec.parseList("qa=data/drcd.jsonl, mc=tmmlu.jsonl,fgc:qa=x/fgc.jsonl");
        assertEquals(List.of("drcd", "tmmlu", "fgc"), tasks.stream().map(TaskSpec::name).toList());
        assertEquals(TaskKind.MC, tasks.get(1).kind());
        org.junit.jupiter.api.Assertions.assertThrows(org.twllm.errors.ConfigException.class,
                () -> TaskSpec.parseList("qa=a/x.jsonl,qa=b/x.jsonl"));
        org.junit.jupiter.api.Assertions.assertThrows(org.twllm.errors.ConfigException.class,
                () -> TaskSpec.parseList("bleu=x.jsonl"));
    }

    /** The Taiwan-LLM template's default system prompt, as rendered text. */
    private static final class TaiwanLlmDefaults {
        static final String SYSTEM = org.twllm.data.chat.TaiwanLlmTemplate.DEFAULT_SYSTEM_PROMPT;
    }
}
