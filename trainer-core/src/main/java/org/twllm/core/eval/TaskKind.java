package org.twllm.core.eval;

import java.util.Arrays;
import java.util.stream.Collectors;

import org.twllm.errors.ConfigException;

/** The kinds of evaluation task, each with its JSONL record shape (see docs/evaluation.md). */
public enum TaskKind {
    /** Generative QA: {context, question, answers[]}; exact match and prefix exact match. */
    QA("qa"),
    /** Multiple choice: {question, choices, answer}; accuracy by generated letter and by log-likelihood. */
    MC("mc"),
    /** Summarisation: {document, summary}; ROUGE-2 with character tokens for CJK. */
    SUMMARIZATION("summarization"),
    /** Held-out text: {text}; mean loss and perplexity. */
    PERPLEXITY("perplexity");

    private final String key;

    TaskKind(String key) {
        this.key = key;
    }

    public String key() {
        return key;
    }

    public static TaskKind byKey(String key) {
        for (TaskKind kind : values()) {
            if (kind.key.equals(key)) {
                return kind;
            }
        }
        throw new ConfigException("unknown task kind '" + key + "': use one of "
                + Arrays.stream(values()).map(TaskKind::key).collect(Collectors.joining(", ")));
    }
}
