package org.twllm.data.corpus;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

import org.twllm.data.chat.ChatTemplate;
import org.twllm.data.feedback.FeedbackRule;
import org.twllm.data.shard.ShardKind;
import org.twllm.data.shard.ShardWriter;
import org.twllm.errors.ConfigException;

/**
 * Everything {@link CorpusPreparer} needs besides the tokenizer and output folder. Build with
 * {@link #builder(ShardKind)}.
 *
 * @param minChars       documents with fewer characters (Unicode code points) are dropped; 0 = no minimum
 * @param maxChars       documents with more characters are dropped; 0 = no maximum
 * @param skipInvalid    count malformed records instead of stopping at the first one
 * @param feedbackScoreThreshold null unless feedback ratings are scores (see {@link FeedbackRule})
 * @param threads        tokenizing threads; the output is the same for any number
 * @param extraInputs    further settings that change the shards (e.g. from the stage config); they enter
 *                       the inputs fingerprint so a change rebuilds the output
 * @param extractors     the hook making documents of records; by default {@link Extractors#forSource}. A
 *                       custom hook should describe itself in {@code extraInputs}.
 */
public record PrepareSettings(List<SourceSpec> sources, ShardKind kind, ScriptMode scriptMode, boolean dedup,
        int minChars, int maxChars, boolean skipInvalid, ChatTemplate chatTemplate, String feedbackRatingField,
        Double feedbackScoreThreshold, long maxShardBytes, int threads, Map<String, String> extraInputs,
        Function<SourceSpec, DocumentExtractor> extractors) {

    public PrepareSettings {
        sources = List.copyOf(sources);
        extraInputs = Map.copyOf(new TreeMap<>(extraInputs));
        List<String> problems = new ArrayList<>();
        if (sources.isEmpty()) {
            problems.add("no sources given: pass --source PATH[:WEIGHT] (or list sources in the config)");
        }
        if (minChars < 0 || maxChars < 0 || (maxChars > 0 && maxChars < minChars)) {
            problems.add("character limits min " + minChars + ", max " + maxChars
                    + " are not valid: use non-negative numbers with min <= max (0 = no limit)");
        }
        if (threads < 1) {
            problems.add("threads must be at least 1, got " + threads);
        }
        java.util.Set<String> names = new java.util.HashSet<>();
        for (SourceSpec s : sources) {
            if (!names.add(s.name())) {
                problems.add("two sources are named '" + s.name() + "': give each source its own name (or file name)");
            }
            if (s.format().isDialogue() != (kind == ShardKind.SFT)) {
                problems.add("source " + s.path() + " has format " + s.format().id() + ", which makes "
                        + (s.format().isDialogue() ? "sft examples" : "cpt documents") + ", but the kind is " + kind.id()
                        + ": use --kind " + (s.format().isDialogue() ? "sft" : "cpt") + " or another --format");
            }
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
    }

    /** The rating rule of feedback sources. */
    public FeedbackRule feedbackRule() {
        return new FeedbackRule(feedbackRatingField, feedbackScoreThreshold);
    }

    /** The extractor of one source: the hook, or the format's own. */
    public DocumentExtractor extractorFor(SourceSpec source) {
        return extractors != null ? extractors.apply(source) : Extractors.forSource(source, chatTemplate, feedbackRule());
    }

    /** The Parquet columns a source's extractor needs: the format's own ({@link Extractors#columnsRead}), all for a hook. */
    public Set<String> columnsFor(SourceSpec source) {
        return extractors != null ? null : Extractors.columnsRead(source, feedbackRule());
    }

    public static Builder builder(ShardKind kind) {
        return new Builder(kind);
    }

    /** Defaults: keep-traditional script filter, dedup on, no length limits, invalid records stop the run. */
    public static final class Builder {
        private final ShardKind kind;
        private final List<SourceSpec> sources = new ArrayList<>();
        private ScriptMode scriptMode = ScriptMode.KEEP_TRADITIONAL;
        private boolean dedup = true;
        private int minChars;
        private int maxChars;
        private boolean skipInvalid;
        private ChatTemplate chatTemplate;
        private String feedbackRatingField;
        private Double feedbackScoreThreshold;
        private long maxShardBytes = ShardWriter.DEFAULT_MAX_SHARD_BYTES;
        private int threads = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
        private final Map<String, String> extraInputs = new TreeMap<>();
        private Function<SourceSpec, DocumentExtractor> extractors;

        private Builder(ShardKind kind) {
            this.kind = kind;
        }

        public Builder source(SourceSpec source) {
            sources.add(source);
            return this;
        }

        public Builder scriptMode(ScriptMode mode) {
            this.scriptMode = mode;
            return this;
        }

        public Builder dedup(boolean on) {
            this.dedup = on;
            return this;
        }

        public Builder minChars(int n) {
            this.minChars = n;
            return this;
        }

        public Builder maxChars(int n) {
            this.maxChars = n;
            return this;
        }

        public Builder skipInvalid(boolean skip) {
            this.skipInvalid = skip;
            return this;
        }

        public Builder chatTemplate(ChatTemplate template) {
            this.chatTemplate = template;
            return this;
        }

        public Builder feedbackRule(String ratingField, Double scoreThreshold) {
            this.feedbackRatingField = ratingField;
            this.feedbackScoreThreshold = scoreThreshold;
            return this;
        }

        public Builder maxShardBytes(long bytes) {
            this.maxShardBytes = bytes;
            return this;
        }

        public Builder threads(int n) {
            this.threads = n;
            return this;
        }

        public Builder extraInput(String key, String value) {
            extraInputs.put(key, value);
            return this;
        }

        public Builder extractors(Function<SourceSpec, DocumentExtractor> hook) {
            this.extractors = hook;
            return this;
        }

        public PrepareSettings build() {
            return new PrepareSettings(sources, kind, scriptMode, dedup, minChars, maxChars, skipInvalid, chatTemplate,
                    feedbackRatingField, feedbackScoreThreshold, maxShardBytes, threads, extraInputs, extractors);
        }
    }
}
