package org.twllm.data.chat;

import org.twllm.errors.ConfigException;

import java.util.ArrayList;
import java.util.List;

/**
 * A template from the config: {@code system_format}, {@code user_format} and {@code assistant_format},
 * each holding {@code {content}} once. The rendered example is BOS, the system text (if any), then per
 * turn the user text and the assistant text followed by EOS. In {@code assistant_format}, what comes
 * before {@code {content}} is prompt; the content, what follows it, and the EOS are trained.
 * Message content is trimmed.
 */
public final class CustomChatTemplate implements ChatTemplate {
    public static final String NAME = "custom";
    public static final String PLACEHOLDER = "{content}";

    private final String systemFormat;
    private final String userFormat;
    private final String assistantPrefix;
    private final String assistantSuffix;
    private final String systemPrompt;

    /**
     * {@code systemFormat} may be null when no dialogue has a system message and {@code systemPrompt} is
     * null or empty; {@code systemPrompt} is used for dialogues without a system message.
     */
    public CustomChatTemplate(String systemFormat, String userFormat, String assistantFormat, String systemPrompt) {
        List<String> problems = new ArrayList<>();
        if (systemFormat != null) {
            checkFormat("system_format", systemFormat, problems);
        }
        checkFormat("user_format", userFormat, problems);
        checkFormat("assistant_format", assistantFormat, problems);
        if (systemFormat == null && systemPrompt != null && !systemPrompt.isEmpty()) {
            problems.add("The custom chat template has a system prompt but no system_format; add a system_format with "
                    + PLACEHOLDER + ", e.g. \"" + PLACEHOLDER + "\\n\".");
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        this.systemFormat = systemFormat;
        this.userFormat = userFormat;
        int at = assistantFormat.indexOf(PLACEHOLDER);
        this.assistantPrefix = assistantFormat.substring(0, at);
        this.assistantSuffix = assistantFormat.substring(at + PLACEHOLDER.length());
        this.systemPrompt = systemPrompt == null ? "" : systemPrompt;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<TemplateSegment> segments(Dialogue dialogue) {
        List<TemplateSegment> segments = new ArrayList<>();
        segments.add(TemplateSegment.bos());
        String system = dialogue.system().orElse(systemPrompt).strip();
        if (!system.isEmpty()) {
            if (systemFormat == null) {
                throw new ConfigException("A dialogue has a system message but the custom chat template has no "
                        + "system_format; add one with " + PLACEHOLDER + ".");
            }
            segments.add(TemplateSegment.prompt(fill(systemFormat, system)));
        }
        List<Message> turns = dialogue.turns();
        for (int i = 0; i < turns.size(); i += 2) {
            segments.add(TemplateSegment.prompt(fill(userFormat, turns.get(i).content().strip())));
            segments.add(TemplateSegment.prompt(assistantPrefix));
            segments.add(TemplateSegment.completion(turns.get(i + 1).content().strip() + assistantSuffix));
            segments.add(TemplateSegment.trainedEos());
        }
        return segments;
    }

    private static String fill(String format, String content) {
        return before(format) + content + after(format);
    }

    private static void checkFormat(String key, String format, List<String> problems) {
        if (format == null) {
            problems.add("The custom chat template needs " + key + " (a string with " + PLACEHOLDER + ").");
            return;
        }
        int first = format.indexOf(PLACEHOLDER);
        if (first < 0 || format.indexOf(PLACEHOLDER, first + 1) >= 0) {
            problems.add("The custom chat template's " + key + " \"" + format + "\" must contain " + PLACEHOLDER
                    + " exactly once.");
        }
    }

    @Override
    public String hfChatTemplate() {
        String userBefore = before(userFormat);
        String userAfter = after(userFormat);
        HfJinja.Seam seam = HfJinja.Seam.of(userAfter + assistantPrefix, assistantPrefix);
        String system = systemFormat == null
                ? HfJinja.out("raise_exception(" + HfJinja.literal("This chat template has no system_format, so the"
                        + " conversation cannot have a system message.") + ")")
                : HfJinja.out(HfJinja.literal(before(systemFormat)) + " + system_message + " + HfJinja.literal(after(systemFormat)));
        return HfJinja.systemMessage(systemPrompt)
                + HfJinja.out("bos_token")
                + "{%- if system_message != '' -%}\n" + system + "{%- endif -%}\n"
                + HfJinja.turns(
                        HfJinja.out(HfJinja.literal(userBefore) + " + " + HfJinja.CONTENT + " + " + HfJinja.literal(seam.userTail())),
                        seam.generationPrompt(),
                        HfJinja.out(HfJinja.literal(seam.assistantHead()) + " + " + HfJinja.CONTENT + " + "
                                + HfJinja.literal(assistantSuffix) + " + eos_token"));
    }

    private static String before(String format) {
        return format.substring(0, format.indexOf(PLACEHOLDER));
    }

    private static String after(String format) {
        return format.substring(format.indexOf(PLACEHOLDER) + PLACEHOLDER.length());
    }
}
