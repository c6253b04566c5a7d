package org.twllm.core.generate;

import java.util.List;

import org.twllm.data.chat.Message;

/**
 * Turns a user message (and earlier turns of a conversation) into the ids a model continues, and
 * text on the assistant's side into the ids the model would write for it. Evaluation, {@code generate}
 * and {@code chat} all build prompts through this, so they see what SFT trained the model on.
 */
public interface PromptFormat {
    /**
     * Ids ending where the assistant's reply begins.
     *
     * @param history earlier messages, user and assistant alternating (starting with user); may be empty
     */
    int[] prompt(List<Message> history, String userMessage);

    default int[] prompt(String userMessage) {
        return prompt(List.of(), userMessage);
    }

    /** Ids of {@code text} written by the assistant right after {@link #prompt} (a reply, or its start). */
    int[] replyTokens(String text);

    /** Where a reply ends besides EOS: a base model has no EOS habit after a reply, so it ends at a line break. */
    default List<String> replyStops() {
        return List.of();
    }

    /** A short description for logs and results ("chat template taiwan-llm", "plain text"). */
    String describe();
}
