package org.twllm.data.chat;

import java.util.ArrayList;
import java.util.List;

/**
 * Taiwan-LLM v2's chat format, as its README publishes it ({@code {system}USER: {user} ASSISTANT:}),
 * continued over turns the Vicuna way Taiwan-LLM derives from:
 * <pre>
 * &lt;s&gt;{system}USER: {user} ASSISTANT: {assistant}&lt;/s&gt;USER: {user} ASSISTANT: {assistant}&lt;/s&gt;
 * </pre>
 * The system prompt is the dialogue's own system message, else the configured one (by default
 * {@link #DEFAULT_SYSTEM_PROMPT}); an empty configured prompt means none. Message content is trimmed.
 */
public final class TaiwanLlmTemplate implements ChatTemplate {
    public static final String NAME = "taiwan-llm";
    public static final String DEFAULT_SYSTEM_PROMPT =
            "你是人工智慧助理，以下是用戶和人工智能助理之間的對話。你要對用戶的問題提供有用、安全、詳細和禮貌的回答。";

    private static final String USER_PREFIX = "USER: ";
    private static final String ASSISTANT_PREFIX = "ASSISTANT: ";
    /** What separates a user's content from the assistant's, the assistant's prefix included. */
    private static final String BETWEEN = " " + ASSISTANT_PREFIX;

    private final String systemPrompt;

    /** {@code systemPrompt}: used when a dialogue has no system message; null for the default, "" for none. */
    public TaiwanLlmTemplate(String systemPrompt) {
        this.systemPrompt = systemPrompt == null ? DEFAULT_SYSTEM_PROMPT : systemPrompt;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<TemplateSegment> segments(Dialogue dialogue) {
        List<TemplateSegment> segments = new ArrayList<>();
        segments.add(TemplateSegment.bos());
        segments.add(TemplateSegment.prompt(dialogue.system().orElse(systemPrompt).strip()));
        List<Message> turns = dialogue.turns();
        for (int i = 0; i < turns.size(); i += 2) {
            segments.add(TemplateSegment.prompt(USER_PREFIX + turns.get(i).content().strip() + BETWEEN));
            segments.add(TemplateSegment.completion(turns.get(i + 1).content().strip()));
            segments.add(TemplateSegment.trainedEos());
        }
        return segments;
    }

    @Override
    public String hfChatTemplate() {
        HfJinja.Seam seam = HfJinja.Seam.of(BETWEEN, ASSISTANT_PREFIX);
        return HfJinja.systemMessage(systemPrompt)
                + HfJinja.out("bos_token + system_message")
                + HfJinja.turns(
                        HfJinja.out(HfJinja.literal(USER_PREFIX) + " + " + HfJinja.CONTENT + " + " + HfJinja.literal(seam.userTail())),
                        seam.generationPrompt(),
                        HfJinja.out(HfJinja.literal(seam.assistantHead()) + " + " + HfJinja.CONTENT + " + eos_token"));
    }
}
