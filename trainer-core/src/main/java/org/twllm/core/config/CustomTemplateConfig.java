package org.twllm.core.config;

/**
 * A user-defined chat template ({@code data.custom_template:}, with {@code chat_template: custom}); each
 * string contains {@code {content}} where the turn's text goes. In the assistant string the part before
 * {@code {content}} is prompt; the content, what follows it and the EOS are trained.
 */
public record CustomTemplateConfig(Values values) implements ConfigSection {
    static final KeyTable<CustomTemplateConfig> KEYS = new KeyTable<>(CustomTemplateConfig::new);
    private static final ValueTypes.Text TURN = ValueTypes.text().containing("{content}", "where the turn's text goes");

    public static final Key<String> SYSTEM_FORMAT = KEYS.key("system_format", TURN)
            .doc("the system message; may be left out when no dialogue has one and no `system_prompt` is set");
    public static final Key<String> USER_FORMAT = KEYS.key("user_format", TURN).required()
            .doc("a user turn");
    public static final Key<String> ASSISTANT_FORMAT = KEYS.key("assistant_format", TURN).required()
            .doc("an assistant turn; the part before `{content}` is prompt, the content, what follows and the EOS are trained");

    public CustomTemplateConfig {
        KEYS.requireOwn(values);
    }

    /** Null when not given. */
    public String systemFormat() {
        return values.get(SYSTEM_FORMAT);
    }

    public String userFormat() {
        return values.get(USER_FORMAT);
    }

    public String assistantFormat() {
        return values.get(ASSISTANT_FORMAT);
    }
}
