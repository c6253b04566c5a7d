package org.twllm.data.chat;

import org.twllm.errors.ConfigException;

import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** Chat templates by config name: {@code taiwan-llm}, {@code llama-2-chat}, {@code custom}. */
public final class ChatTemplates {
    public static final Set<String> CUSTOM_KEYS = Set.of("system_format", "user_format", "assistant_format");

    private ChatTemplates() {
    }

    /**
     * The template called {@code name} (case and {@code _}/{@code -} ignored). {@code systemPrompt} is used
     * for dialogues without a system message (null: the template's default). {@code customFormats} holds
     * {@code system_format}, {@code user_format}, {@code assistant_format} for {@code custom} and must be
     * null or empty for the others.
     */
    public static ChatTemplate byName(String name, String systemPrompt, Map<String, String> customFormats) {
        if (name == null) {
            throw new ConfigException("No chat template named; set chat_template to taiwan-llm, llama-2-chat or custom.");
        }
        String key = name.toLowerCase(Locale.ROOT).replace('_', '-');
        boolean hasFormats = customFormats != null && !customFormats.isEmpty();
        if (!key.equals(CustomChatTemplate.NAME) && hasFormats) {
            throw new ConfigException("Chat template formats " + customFormats.keySet() + " are only read by the custom "
                    + "template, but the template is " + name + "; remove them or use chat_template: custom.");
        }
        switch (key) {
            case TaiwanLlmTemplate.NAME, "taiwanllm", "twllm":
                return new TaiwanLlmTemplate(systemPrompt);
            case Llama2ChatTemplate.NAME, "llama2-chat", "llama-2", "llama2":
                return new Llama2ChatTemplate(systemPrompt);
            case CustomChatTemplate.NAME:
                Map<String, String> formats = customFormats == null ? Map.of() : customFormats;
                Set<String> unknown = new HashSet<>(formats.keySet());
                unknown.removeAll(CUSTOM_KEYS);
                if (!unknown.isEmpty()) {
                    throw new ConfigException("Unknown custom chat template keys " + unknown + "; the keys are "
                            + "system_format, user_format and assistant_format.");
                }
                return new CustomChatTemplate(formats.get("system_format"), formats.get("user_format"),
                        formats.get("assistant_format"), systemPrompt);
            default:
                throw new ConfigException("Unknown chat template \"" + name + "\"; use taiwan-llm, llama-2-chat or custom.");
        }
    }
}
