package org.twllm.core.eval;

import java.util.List;

/** One record of each task kind, as read from a task file. */
public final class EvalExamples {
    private EvalExamples() {
    }

    /** A reading-comprehension or trivia question; {@code context} may be empty (closed-book QA). */
    public record Qa(String id, String context, String question, List<String> answers) {
    }

    /** A question with lettered options; {@code answer} is one of {@code letters}. */
    public record MultipleChoice(String id, String question, List<String> letters, List<String> options, String answer) {
    }

    public record Summarization(String id, String document, String summary) {
    }

    public record Text(String id, String text) {
    }
}
