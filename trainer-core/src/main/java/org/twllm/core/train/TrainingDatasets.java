package org.twllm.core.train;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.twllm.core.config.DataConfig;
import org.twllm.core.config.SourceConfig;
import org.twllm.core.config.Stage;
import org.twllm.core.config.StageConfig;
import org.twllm.data.chat.ChatTemplate;
import org.twllm.data.chat.ChatTemplates;
import org.twllm.data.corpus.CorpusPreparer;
import org.twllm.data.corpus.PrepareSettings;
import org.twllm.data.corpus.ScriptMode;
import org.twllm.data.corpus.SourceFormat;
import org.twllm.data.corpus.SourceSpec;
import org.twllm.data.loader.CptDataset;
import org.twllm.data.loader.MixedDataset;
import org.twllm.data.loader.OverlongPolicy;
import org.twllm.data.loader.SampleDataset;
import org.twllm.data.loader.SftPackedDataset;
import org.twllm.data.shard.ShardKind;
import org.twllm.data.shard.ShardSet;
import org.twllm.data.tokenizer.Tokenizer;
import org.twllm.errors.ConfigException;
import org.twllm.progress.ProgressOutput;

/**
 * The datasets of a stage, from its config: the sources are tokenized into shards under
 * {@code data.cache_dir} (reused while the inputs are unchanged) and opened memory-mapped.
 * <ul>
 *   <li>cpt: the sources, prepared together (mixture weights apply), packed into {@code seq_len} samples;</li>
 *   <li>sft: the dialogues rendered with the chat template, packed per example;</li>
 *   <li>feedback-sft: the positively rated conversations; with {@code sft_mix_ratio > 0} mixed with the
 *       stage's plain dialogue sources so that that share of samples replays SFT data.</li>
 * </ul>
 */
public record TrainingDatasets(SampleDataset train, SampleDataset validation) {

    /** The roles of the training set's prepared folders: one for a plain stage, two for feedback-sft with replay. */
    static final List<String> TRAIN_ROLES = List.of("train", "feedback", "sft-replay");

    /** Where the sources of {@code role} ("train", "validation", ...) are prepared: {@code data.cache_dir/<stage>-<role>}. */
    static Path cacheFolder(StageConfig config, String role) {
        return config.data().cacheDir().resolve(config.stage().yamlName() + "-" + role);
    }

    /** The training set and the held-out set (null when no validation sources are configured). */
    public static TrainingDatasets build(StageConfig config, Tokenizer tokenizer) {
        return build(config, tokenizer, ProgressOutput.none());
    }

    /** As {@link #build(StageConfig, Tokenizer)}; preparing the data (when it is not reused) shows on {@code progress}. */
    public static TrainingDatasets build(StageConfig config, Tokenizer tokenizer, ProgressOutput progress) {
        Builder b = new Builder(config, tokenizer, progress);
        return new TrainingDatasets(b.trainSet(), config.data().validationSources().isEmpty() ? null
                : b.dataset(config.data().validationSources(), "validation"));
    }

    /** The chat template of an SFT or feedback-SFT stage, or null for cPT (which renders no dialogues). */
    static ChatTemplate chatTemplate(StageConfig config) {
        if (config.stage() == Stage.CPT) {
            return null;
        }
        DataConfig data = config.data();
        Map<String, String> formats = data.customTemplate() == null ? null : Map.of(
                "system_format", data.customTemplate().systemFormat(),
                "user_format", data.customTemplate().userFormat(),
                "assistant_format", data.customTemplate().assistantFormat());
        return ChatTemplates.byName(data.chatTemplate().yamlName(), data.systemPrompt(), formats);
    }

    /** Prepares and opens the datasets of one stage config. */
    private static final class Builder {
        private final StageConfig config;
        private final Tokenizer tokenizer;
        private final ProgressOutput progress;

        Builder(StageConfig config, Tokenizer tokenizer, ProgressOutput progress) {
            this.config = config;
            this.tokenizer = tokenizer;
            this.progress = progress;
        }

        private SampleDataset trainSet() {
            List<SourceConfig> sources = config.data().sources();
            double replay = config.data().feedback().sftMixRatio();
            if (config.stage() != Stage.FEEDBACK_SFT || replay <= 0) {
                return dataset(sources, "train");
            }
            List<SourceConfig> feedback = new ArrayList<>();
            List<SourceConfig> dialogues = new ArrayList<>();
            for (SourceConfig s : sources) {
                (format(s) == SourceFormat.FEEDBACK ? feedback : dialogues).add(s);
            }
            if (feedback.isEmpty() || dialogues.isEmpty()) {
                throw new ConfigException("data.feedback.sft_mix_ratio " + replay + " mixes feedback sources with plain dialogue"
                        + " sources, but the stage has " + feedback.size() + " feedback and " + dialogues.size()
                        + " dialogue sources; add both kinds (format feedback and chat) or set sft_mix_ratio: 0");
            }
            return new MixedDataset(dataset(feedback, "feedback"), dataset(dialogues, "sft-replay"), 1.0 - replay);
        }

        /** One dataset from sources that are either all files (prepared together) or one shard directory. */
        private SampleDataset dataset(List<SourceConfig> sources, String role) {
            ShardSet shards;
            if (sources.stream().anyMatch(s -> s.format() == SourceConfig.Format.SHARDS)) {
                if (sources.size() != 1) {
                    throw new ConfigException("data sources of the " + role + " set mix a prepared shard directory with other"
                            + " sources; list one shard directory alone, or the raw files alone (twllm prepares them)");
                }
                shards = ShardSet.open(sources.get(0).path());
            } else {
                shards = ShardSet.open(prepare(sources, role));
            }
            shards.requireTokenizer(tokenizer.fingerprint());
            DataConfig data = config.data();
            if (config.stage() == Stage.CPT) {
                return new CptDataset(shards, data.seqLen());
            }
            OverlongPolicy overlong = data.overlong() == DataConfig.Overlong.DROP ? OverlongPolicy.DROP : OverlongPolicy.TRUNCATE;
            // Llama-2 has no pad token; padding positions are never trained, so EOS serves as the pad input.
            return new SftPackedDataset(shards, data.seqLen(), tokenizer.eosId(), true, overlong);
        }

        private Path prepare(List<SourceConfig> sources, String role) {
            DataConfig data = config.data();
            ShardKind kind = config.stage() == Stage.CPT ? ShardKind.CPT : ShardKind.SFT;
            PrepareSettings.Builder settings = PrepareSettings.builder(kind)
                    .scriptMode(ScriptMode.parse(data.filters().script().yamlName()))
                    .dedup(data.filters().dedup())
                    .minChars(data.filters().minChars())
                    .maxChars(data.filters().maxChars());
            for (SourceConfig s : sources) {
                settings.source(new SourceSpec(s.path(), s.name(), format(s), s.textField(), s.messagesField(), s.weight()));
            }
            if (kind == ShardKind.SFT) {
                settings.chatTemplate(chatTemplate(config));
                settings.feedbackRule(data.feedback().ratingField(), data.feedback().positiveThreshold());
            }
            Path out = cacheFolder(config, role);
            new CorpusPreparer(tokenizer, settings.build(), progress).prepare(out);
            return out;
        }

        /**
         * The reader format of a source; {@code auto} follows the stage (and .txt files for cpt), and so does
         * {@code parquet} (Parquet files are read by their name whatever the format).
         */
        private SourceFormat format(SourceConfig s) {
            if (s.format() != SourceConfig.Format.AUTO && s.format() != SourceConfig.Format.PARQUET) {
                return SourceFormat.parse(s.format().yamlName());
            }
            switch (config.stage()) {
                case CPT:
                    String name = s.path().getFileName().toString().toLowerCase(Locale.ROOT);
                    boolean text = s.format() == SourceConfig.Format.AUTO
                            && (name.endsWith(".txt") || name.endsWith(".txt.gz") || name.endsWith(".txt.zst"));
                    return text ? SourceFormat.TEXT : SourceFormat.JSONL;
                case SFT:
                    return SourceFormat.CHAT;
                default:
                    return SourceFormat.FEEDBACK;
            }
        }
    }
}
