package org.twllm.core.config;

import java.nio.file.Path;
import java.util.List;

/** Training data of a stage ({@code data:}). */
public record DataConfig(Values values) implements ConfigSection {
    static final KeyTable<DataConfig> KEYS = new KeyTable<>(DataConfig::new, DataConfig::check);

    public static final Key<Integer> SEQ_LEN = KEYS.key("seq_len", ValueTypes.integer(1)).required()
            .doc("tokens per sample; at most the model's `max_position_embeddings` (read from `model.init`'s"
                    + " `config.json` when init is a path)");
    public static final Key<Boolean> SHUFFLE = KEYS.key("shuffle", ValueTypes.bool()).byDefault(true)
            .doc("shuffle the global sample order (a function of `run.seed` and the epoch only); `false` keeps corpus order");
    public static final Key<List<SourceConfig>> SOURCES = KEYS.key("sources",
                    ValueTypes.list(SourceConfig.KEYS, "source").nonEmpty().uniqueBy(SourceConfig.NAME)).required()
            .doc("the training mixture (keys below)");
    public static final Key<List<SourceConfig>> VALIDATION_SOURCES = KEYS.key("validation_sources",
                    ValueTypes.list(SourceConfig.KEYS, "source").uniqueBy(SourceConfig.NAME)).byDefault(List.of())
            .doc("held-out data for evaluation (`training.eval_steps`)");
    public static final Key<ChatTemplate> CHAT_TEMPLATE = KEYS.key("chat_template", ValueTypes.oneOf(ChatTemplate.class))
            .byDefault(ChatTemplate.TAIWAN_LLM)
            .doc("how sft and feedback-sft render dialogues (see `docs/data.md`)");
    public static final Key<String> SYSTEM_PROMPT = KEYS.key("system_prompt", ValueTypes.text())
            .doc("system prompt for dialogues that have none; null = the template's default, `\"\"` = none");
    public static final Key<CustomTemplateConfig> CUSTOM_TEMPLATE = KEYS.key("custom_template",
                    ValueTypes.map(CustomTemplateConfig.KEYS)).byDefault(null, "null")
            .onlyWhen(new Key.Condition(
                    s -> s.value(CHAT_TEMPLATE) == null ? null : s.value(CHAT_TEMPLATE) == ChatTemplate.CUSTOM,
                    s -> "only used when data.chat_template is custom (it is " + s.value(CHAT_TEMPLATE).yamlName() + ")"))
            .doc("the strings of `chat_template: custom` (keys below); required with `custom`, an error otherwise");
    public static final Key<Overlong> OVERLONG = KEYS.key("overlong", ValueTypes.oneOf(Overlong.class)).byDefault(Overlong.DROP)
            .doc("an example longer than `seq_len`: leave it out, or cut it to `seq_len`");
    public static final Key<FilterConfig> FILTERS = KEYS.key("filters", ValueTypes.map(FilterConfig.KEYS))
            .doc("corpus filters applied while tokenizing");
    public static final Key<FeedbackConfig> FEEDBACK = KEYS.key("feedback", ValueTypes.map(FeedbackConfig.KEYS))
            .doc("feedback-sft settings");
    /** Absolute after binding. */
    public static final Key<Path> CACHE_DIR = KEYS.key("cache_dir", ValueTypes.path()).derived("`<run.output_dir>/data`")
            .resumeSafe()
            .doc("where tokenized shards are written and reused");

    public DataConfig {
        KEYS.requireOwn(values);
    }

    public int seqLen() {
        return values.get(SEQ_LEN);
    }

    public boolean shuffle() {
        return values.get(SHUFFLE);
    }

    public List<SourceConfig> sources() {
        return values.get(SOURCES);
    }

    /** Possibly empty. */
    public List<SourceConfig> validationSources() {
        return values.get(VALIDATION_SOURCES);
    }

    public ChatTemplate chatTemplate() {
        return values.get(CHAT_TEMPLATE);
    }

    /** Null: the template's default. */
    public String systemPrompt() {
        return values.get(SYSTEM_PROMPT);
    }

    /** The template's strings when the chat template is CUSTOM, else null. */
    public CustomTemplateConfig customTemplate() {
        return values.get(CUSTOM_TEMPLATE);
    }

    public Overlong overlong() {
        return values.get(OVERLONG);
    }

    public FilterConfig filters() {
        return values.get(FILTERS);
    }

    public FeedbackConfig feedback() {
        return values.get(FEEDBACK);
    }

    public Path cacheDir() {
        return values.get(CACHE_DIR);
    }

    private static void check(Section s) {
        Section run = s.root().child(StageConfig.RUN);
        Path outputDir = run == null ? null : run.value(RunConfig.OUTPUT_DIR);
        if (!s.has(CACHE_DIR) && outputDir != null) {
            s.set(CACHE_DIR, outputDir.resolve("data"));
        }
    }

    public enum ChatTemplate implements YamlEnum {
        TAIWAN_LLM, LLAMA2_CHAT, CUSTOM
    }

    public enum Overlong implements YamlEnum {
        DROP, TRUNCATE
    }
}
