package org.twllm.core.config;

import java.util.List;

/** Feedback SFT: which rated conversations are kept, and how much plain SFT data is mixed in ({@code data.feedback:}). */
public record FeedbackConfig(Values values) implements ConfigSection {
    static final KeyTable<FeedbackConfig> KEYS = new KeyTable<>(FeedbackConfig::new, FeedbackConfig::check);

    public static final Key<String> RATING_FIELD = KEYS.key("rating_field", ValueTypes.text()).byDefault("rating")
            .doc("the JSON field holding a record's rating");
    public static final Key<Double> POSITIVE_THRESHOLD = KEYS.key("positive_threshold", ValueTypes.number()).byDefault(1.0)
            .doc("a numeric rating at least this is positive (kept); thumbs `up`/`true` are positive, `down`/`false` negative");
    public static final Key<Double> SFT_MIX_RATIO = KEYS.key("sft_mix_ratio", ValueTypes.between(0.0, 1.0)).byDefault(0.0)
            .doc("feedback-sft only: share of samples drawn from the stage's non-feedback sources (plain SFT dialogues,"
                    + " against forgetting); needs such a source");

    public FeedbackConfig {
        KEYS.requireOwn(values);
    }

    public String ratingField() {
        return values.get(RATING_FIELD);
    }

    public double positiveThreshold() {
        return values.get(POSITIVE_THRESHOLD);
    }

    /** Share (0..1) of samples drawn from the stage's non-feedback sources; 0 = feedback only. */
    public double sftMixRatio() {
        return values.get(SFT_MIX_RATIO);
    }

    private static void check(Section s) {
        Double mix = s.value(SFT_MIX_RATIO);
        Stage stage = s.root().value(StageConfig.STAGE);
        if (mix == null || mix == 0 || stage == null) {
            return;
        }
        List<SourceConfig> sources = s.parent().value(DataConfig.SOURCES);
        if (stage != Stage.FEEDBACK_SFT) {
            s.problem(SFT_MIX_RATIO, "only used by the feedback-sft stage");
        } else if (sources != null && sources.stream().allMatch(src -> src.format() == SourceConfig.Format.FEEDBACK)) {
            s.problem(SFT_MIX_RATIO, "needs a non-feedback source (format chat or sharegpt) to mix in");
        }
    }
}
