package org.twllm.data.chat;

import java.util.ArrayList;
import java.util.List;

/**
 * Llama-2-chat's format, as HF's {@code chat_template} for {@code meta-llama/Llama-2-7b-chat-hf} and Meta's
 * reference code write it:
 * <pre>
 * &lt;s&gt;[INST] &lt;&lt;SYS&gt;&gt;\n{system}\n&lt;&lt;/SYS&gt;&gt;\n\n{user} [/INST] {assistant} &lt;/s&gt;&lt;s&gt;[INST] {user} [/INST] {assistant} &lt;/s&gt;
 * </pre>
 * Each turn starts with its own BOS. The system block goes inside the first user turn and is left out when
 * there is no system prompt (HF's template has no default one). The space after the assistant content is
 * trained along with it, as in Meta's {@code f"{answer} "} before EOS.
 */
public final class Llama2ChatTemplate implements ChatTemplate {
    public static final String NAME = "llama-2-chat";

    private static final String USER_PREFIX = "[INST] ";
    /** What separates a user's content from the assistant's (all of it part of the user's prompt). */
    private static final String BETWEEN = " [/INST] ";
    /** Trained after the assistant's content, before EOS. */
    private static final String ASSISTANT_SUFFIX = " ";
    private static final String SYSTEM_OPEN = "<<SYS>>\n";
    private static final String SYSTEM_CLOSE = "\n<</SYS>>\n\n";

    private final String systemPrompt;

    /** {@code systemPrompt}: used when a dialogue has no system message; null or "" for none. */
    public Llama2ChatTemplate(String systemPrompt) {
        this.systemPrompt = systemPrompt == null ? "" : systemPrompt;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<TemplateSegment> segments(Dialogue dialogue) {
        String system = dialogue.system().orElse(systemPrompt).strip();
        List<TemplateSegment> segments = new ArrayList<>();
        List<Message> turns = dialogue.turns();
        for (int i = 0; i < turns.size(); i += 2) {
            String systemBlock = i == 0 && !system.isEmpty() ? SYSTEM_OPEN + system + SYSTEM_CLOSE : "";
            segments.add(TemplateSegment.bos());
            segments.add(TemplateSegment.prompt(USER_PREFIX + systemBlock + turns.get(i).content().strip() + BETWEEN));
            segments.add(TemplateSegment.completion(turns.get(i + 1).content().strip() + ASSISTANT_SUFFIX));
            segments.add(TemplateSegment.trainedEos());
        }
        return segments;
    }

    @Override
    public String hfChatTemplate() {
        HfJinja.Seam seam = HfJinja.Seam.of(BETWEEN, "");
        return HfJinja.systemMessage(systemPrompt)
                + HfJinja.turns(
                        HfJinja.out("bos_token + " + HfJinja.literal(USER_PREFIX))
                                + "{%- if loop.index0 == first and system_message != '' -%}\n"
                                + HfJinja.out(HfJinja.literal(SYSTEM_OPEN) + " + system_message + " + HfJinja.literal(SYSTEM_CLOSE))
                                + "{%- endif -%}\n"
                                + HfJinja.out(HfJinja.CONTENT + " + " + HfJinja.literal(seam.userTail())),
                        seam.generationPrompt(),
                        HfJinja.out(HfJinja.literal(seam.assistantHead()) + " + " + HfJinja.CONTENT + " + "
                                + HfJinja.literal(ASSISTANT_SUFFIX) + " + eos_token"));
    }
}
