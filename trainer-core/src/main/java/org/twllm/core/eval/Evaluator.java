package org.twllm.core.eval;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.twllm.core.generate.LanguageModel;
import org.twllm.core.generate.PromptFormat;
import org.twllm.core.generate.SamplingSettings;
import org.twllm.data.tokenizer.Tokenizer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs evaluation tasks against a model. Prompts are written in Traditional Chinese with TC-Eval's
 * wording and go through the model's {@link PromptFormat} (its SFT chat template); answers are
 * generated greedily. See docs/evaluation.md for each task's prompt and metrics.
 */
public final class Evaluator {
    static final String QA_INSTRUCTION = "請根據以下內容回答問題，且答案需盡可能簡短。注意：答案必須為內容的子字串。";
    static final String CLOSED_QA_INSTRUCTION = "請回答以下問題，且答案需盡可能簡短。";
    static final String MC_INSTRUCTION = "請從以下選項中選擇並回答：";
    static final String MC_ANSWER_FORMAT = "只能回答英文字母";
    static final String SUMMARY_INSTRUCTION = "根據上述文章以一句話來總結";
    /** The assistant's reply to a multiple-choice question is begun with "(" so its next token is a letter. */
    static final String MC_REPLY_START = "(";
    private static final Logger LOG = LoggerFactory.getLogger(Evaluator.class);

    private final LanguageModel model;
    private final PromptFormat format;
    private final Tokenizer tokenizer;
    private final Limits limits;

    /**
     * @param maxExamples read at most this many examples of each task (0: all)
     */
    public record Limits(int qaMaxNewTokens, int mcMaxNewTokens, int summaryMaxNewTokens, int maxExamples) {
        public static final Limits DEFAULT = new Limits(64, 8, 128, 0);
    }

    public Evaluator(LanguageModel model, PromptFormat format, Tokenizer tokenizer, Limits limits) {
        this.model = model;
        this.format = format;
        this.tokenizer = tokenizer;
        this.limits = limits;
    }

    public TaskResult run(TaskSpec task) {
        long start = System.nanoTime();
        Scores scores = switch (task.kind()) {
            case QA -> qa(limit(TaskFileReader.readQa(task.file())), task);
            case MC -> multipleChoice(limit(TaskFileReader.readMultipleChoice(task.file())), task);
            case SUMMARIZATION -> summarization(limit(TaskFileReader.readSummarization(task.file())), task);
            case PERPLEXITY -> perplexity(limit(TaskFileReader.readText(task.file())));
        };
        return new TaskResult(task.name(), task.kind(), scores.predictions.size(), scores.skipped, scores.metrics(),
                scores.predictions, (System.nanoTime() - start) / 1e9);
    }

    public static String qaPrompt(EvalExamples.Qa example) {
        if (example.context().isBlank()) {
            return CLOSED_QA_INSTRUCTION + "\n\n問題：" + example.question();
        }
        return QA_INSTRUCTION + "\n\n" + example.context() + "\n\n問題：" + example.question();
    }

    public static String multipleChoicePrompt(EvalExamples.MultipleChoice example) {
        List<String> options = new ArrayList<>();
        for (int i = 0; i < example.letters().size(); i++) {
            options.add("(" + example.letters().get(i) + ") " + example.options().get(i));
        }
        return "問題：" + example.question() + "\n\n" + MC_INSTRUCTION + String.join("；", options) + "\n\n" + MC_ANSWER_FORMAT;
    }

    public static String summaryPrompt(EvalExamples.Summarization example) {
        return example.document() + "\n\n" + SUMMARY_INSTRUCTION;
    }

    private Scores qa(List<EvalExamples.Qa> examples, TaskSpec task) {
        Scores scores = new Scores();
        for (EvalExamples.Qa ex : examples) {
            int[] prompt = format.prompt(qaPrompt(ex));
            if (!fits(prompt.length + 1, task, ex.id(), scores)) {
                continue;
            }
            String answer = generate(prompt, limits.qaMaxNewTokens()).strip();
            scores.add(ex.id(), answer, new String[] {"exact_match", "prefix_exact_match"},
                    AnswerMetrics.exactMatch(answer, ex.answers()), AnswerMetrics.prefixExactMatch(answer, ex.answers()));
        }
        return scores;
    }

    /**
     * Two readings of the model's choice: the first letter it generates after "(", and the option
     * whose reply "(X) text" it finds most likely (summed token log-probabilities after the prompt).
     */
    private Scores multipleChoice(List<EvalExamples.MultipleChoice> examples, TaskSpec task) {
        Scores scores = new Scores();
        for (EvalExamples.MultipleChoice ex : examples) {
            int[] prompt = format.prompt(multipleChoicePrompt(ex));
            int[] withStart = concat(prompt, format.replyTokens(MC_REPLY_START));
            int longest = withStart.length + 1;
            for (int i = 0; i < ex.letters().size(); i++) {
                longest = Math.max(longest, prompt.length + format.replyTokens(option(ex, i)).length);
            }
            if (!fits(longest, task, ex.id(), scores)) {
                continue;
            }
            String generated = generate(withStart, limits.mcMaxNewTokens());
            String picked = ChoiceLetters.firstLetter(generated, ex.letters());
            String best = null;
            double bestLogProb = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < ex.letters().size(); i++) {
                int[] sequence = concat(prompt, format.replyTokens(option(ex, i)));
                double logProb = sum(model.logProbs(sequence, prompt.length));
                if (logProb > bestLogProb) {
                    bestLogProb = logProb;
                    best = ex.letters().get(i);
                }
            }
            scores.add(ex.id(), generated, new String[] {"accuracy_generated", "accuracy_loglik"},
                    ex.answer().equals(picked) ? 1.0 : 0.0, ex.answer().equals(best) ? 1.0 : 0.0);
        }
        return scores;
    }

    private Scores summarization(List<EvalExamples.Summarization> examples, TaskSpec task) {
        Scores scores = new Scores();
        for (EvalExamples.Summarization ex : examples) {
            int[] prompt = format.prompt(summaryPrompt(ex));
            if (!fits(prompt.length + 1, task, ex.id(), scores)) {
                continue;
            }
            String summary = generate(prompt, limits.summaryMaxNewTokens()).strip();
            Rouge.Score rouge = Rouge.rouge2(summary, ex.summary());
            scores.add(ex.id(), summary, new String[] {"rouge2_f1", "rouge2_precision", "rouge2_recall"},
                    rouge.f1(), rouge.precision(), rouge.recall());
        }
        return scores;
    }

    /** See {@link Perplexity} for how each text is scored. */
    private Scores perplexity(List<EvalExamples.Text> examples) {
        Scores scores = new Scores();
        Perplexity.Scores losses = new Perplexity(model, tokenizer).score(examples.stream().map(EvalExamples.Text::text).toList());
        for (int i = 0; i < examples.size(); i++) {
            scores.predictions.add(new TaskResult.Prediction(examples.get(i).id(), "",
                    Map.of("mean_loss", losses.perText().get(i).meanLoss())));
        }
        scores.taskMetrics.put("mean_loss", losses.total().meanLoss());
        scores.taskMetrics.put("perplexity", losses.total().perplexity());
        scores.taskMetrics.put("tokens", (double) losses.total().tokens());
        return scores;
    }

    private String generate(int[] prompt, int maxNewTokens) {
        SamplingSettings settings = SamplingSettings.greedy(maxNewTokens).withStopSequences(format.replyStops());
        return model.generate(prompt, settings).text();
    }

    /**
     * Whether an example needing {@code length} tokens fits the model's context; one that does not is
     * skipped with a warning and counted, so one long example does not end the whole evaluation.
     */
    private boolean fits(int length, TaskSpec task, String id, Scores scores) {
        if (length <= model.contextLength()) {
            return true;
        }
        LOG.warn("task {}, example {}: the prompt needs {} tokens but the model's context holds {}; skipped (counted as"
                + " \"skipped\" in the results; a larger --context-length may fit it)", task.name(), id, length, model.contextLength());
        scores.skipped++;
        return false;
    }

    /** The reply "(X) option" of option {@code i}, as the log-likelihood reading scores it. */
    private static String option(EvalExamples.MultipleChoice ex, int i) {
        return "(" + ex.letters().get(i) + ") " + ex.options().get(i);
    }

    private <T> List<T> limit(List<T> examples) {
        return limits.maxExamples() > 0 && examples.size() > limits.maxExamples()
                ? examples.subList(0, limits.maxExamples()) : examples;
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static double sum(double[] values) {
        double s = 0;
        for (double v : values) {
            s += v;
        }
        return s;
    }

    /** Per-example scores, averaged into task metrics, and metrics computed over the whole task. */
    private static final class Scores {
        final List<TaskResult.Prediction> predictions = new ArrayList<>();
        final Map<String, Double> taskMetrics = new LinkedHashMap<>();
        /** Examples left out because they do not fit the context. */
        int skipped;

        /** One example's scores, {@code values[i]} being metric {@code names[i]}. */
        void add(String id, String output, String[] names, double... values) {
            Map<String, Double> byName = new LinkedHashMap<>();
            for (int i = 0; i < names.length; i++) {
                byName.put(names[i], values[i]);
            }
            predictions.add(new TaskResult.Prediction(id, output, byName));
        }

        Map<String, Double> metrics() {
            if (!taskMetrics.isEmpty()) {
                return taskMetrics;
            }
            Map<String, Double> means = new LinkedHashMap<>();
            if (predictions.isEmpty()) {
                return means; // every example was skipped
            }
            for (String name : predictions.get(0).scores().keySet()) {
                means.put(name, predictions.stream().collect(Collectors.averagingDouble(p -> p.scores().get(name))));
            }
            return means;
        }
    }
}
