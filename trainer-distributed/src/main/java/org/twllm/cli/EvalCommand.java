package org.twllm.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import org.twllm.core.checkpoint.Checkpoint;
import org.twllm.core.eval.EvalReport;
import org.twllm.core.eval.Evaluator;
import org.twllm.core.eval.TaskResult;
import org.twllm.core.eval.TaskSpec;
import org.twllm.core.generate.ModelSession;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code twllm eval}: scores a model on QA, multiple-choice, summarisation and perplexity task files. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Evaluate a model on JSONL task files (see docs/evaluation.md); writes results JSON and prints a table.",
            "Prompts go through --chat-template (the SFT template); without it, plain text for base models."})
public final class EvalCommand implements Callable<Integer> {
    @Mixin
    GenerateCommand.ModelOptions modelOptions = new GenerateCommand.ModelOptions();

    @Option(names = "--tasks", required = true, paramLabel = "KIND=FILE,...",
            description = "Tasks: qa=FILE, mc=FILE, summarization=FILE, perplexity=FILE (comma-separated; NAME:KIND=FILE to name one).")
    String tasks;

    @Option(names = "--chat-template", paramLabel = "NAME", description = "taiwan-llm or llama-2-chat; leave out for a base (cPT) model.")
    String chatTemplate;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "Results JSON to write.")
    Path out;

    @Option(names = "--predictions", paramLabel = "FILE", description = "Also write every example's output and scores as JSONL.")
    Path predictions;

    @Option(names = "--max-examples", paramLabel = "N", defaultValue = "0", description = "Score at most N examples per task (0: all).")
    int maxExamples;

    @Option(names = "--max-new-tokens", paramLabel = "N", defaultValue = "0",
            description = "Generation bound for every task (default: 64 for qa, 8 for mc, 128 for summarization).")
    int maxNewTokens;

    @Override
    public Integer call() {
        List<TaskSpec> specs = TaskSpec.parseList(tasks);
        ModelSession session = ModelSession.open(modelOptions.model, Checkpoint::loadModel, modelOptions.tokenizer, chatTemplate,
                modelOptions.systemPrompt);
        Evaluator.Limits d = Evaluator.Limits.DEFAULT;
        Evaluator.Limits limits = maxNewTokens > 0
                ? new Evaluator.Limits(maxNewTokens, maxNewTokens, maxNewTokens, maxExamples)
                : new Evaluator.Limits(d.qaMaxNewTokens(), d.mcMaxNewTokens(), d.summaryMaxNewTokens(), maxExamples);
        Evaluator evaluator = new Evaluator(session.languageModel(session.checkedContextLength(modelOptions.contextLength)), session.format(), session.tokenizer(), limits);
        List<TaskResult> results = new ArrayList<>();
        for (TaskSpec spec : specs) {
            TaskResult r = evaluator.run(spec);
            System.err.printf("[eval] %s (%s): %d examples in %.1f s%s%n", r.name(), r.kind().key(), r.examples(), r.seconds(),
                    r.skipped() > 0 ? ", " + r.skipped() + " skipped as longer than the context" : "");
            results.add(r);
        }
        EvalReport.writeJson(out, modelOptions.model.toString(), session.format().describe(), results);
        if (predictions != null) {
            EvalReport.writePredictions(predictions, results);
        }
        System.out.print(EvalReport.table(results));
        System.out.println("results: " + out);
        return Main.EXIT_OK;
    }
}
