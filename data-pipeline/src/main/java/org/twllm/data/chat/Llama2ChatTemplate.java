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
            String systemBlock = i == 0 && !system.isEmpty() ? "<<SYS>>\n" + system + "\n<</SYS>>\n\n" : "";
            segments.add(TemplateSegment.bos());
            segments.add(TemplateSegment.prompt("[INST] " + systemBlock + turns.get(i).content().strip() + " [/INST] "));
            segments.add(TemplateSegment.completion(turns.get(i + 1).content().strip() + " "));
            segments.add(TemplateSegment.trainedEos());
        }
        return segments;
    }
}
