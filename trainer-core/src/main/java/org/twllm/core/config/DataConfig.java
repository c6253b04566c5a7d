package org.twllm.core.config;

import java.nio.file.Path;
import java.util.List;

/**
 * Training data of a stage.
 *
 * @param seqLen            tokens per sample (inputs), at most the model's max_position_embeddings
 * @param shuffle           shuffle the global sample order (a function of seed and epoch)
 * @param sources           the mixture, non-empty
 * @param validationSources held-out data for evaluation, possibly empty
 * @param chatTemplate      template rendering dialogues (SFT and feedback SFT)
 * @param systemPrompt      system prompt, or null for the template's default
 * @param customTemplate    the template's strings when {@code chatTemplate} is CUSTOM, else null
 * @param overlong          what to do with an example longer than seqLen
 * @param filters           corpus filters
 * @param feedback          feedback SFT settings
 * @param cacheDir          absolute directory for tokenized shards ({@code <output_dir>/data} by default)
 */
public record DataConfig(
        int seqLen,
        boolean shuffle,
        List<SourceConfig> sources,
        List<SourceConfig> validationSources,
        ChatTemplate chatTemplate,
        String systemPrompt,
        CustomTemplateConfig customTemplate,
        Overlong overlong,
        FilterConfig filters,
        FeedbackConfig feedback,
        Path cacheDir) {

    public DataConfig {
        sources = List.copyOf(sources);
        validationSources = List.copyOf(validationSources);
    }

    public enum ChatTemplate {
        TAIWAN_LLM, LLAMA2_CHAT, CUSTOM;

        public String yamlName() {
            return YamlEnum.name(this);
        }
    }

    public enum Overlong {
        DROP, TRUNCATE;

        public String yamlName() {
            return YamlEnum.name(this);
        }
    }
}
