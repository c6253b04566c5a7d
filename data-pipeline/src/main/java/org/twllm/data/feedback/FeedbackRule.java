package org.twllm.data.feedback;

import com.fasterxml.jackson.databind.JsonNode;
import org.twllm.errors.ConfigException;

import java.util.Locale;

/**
 * Reads the rating of one feedback record from a configurable field. A thumb ({@code "up"}/{@code "down"},
 * also {@code "thumbs_up"}/{@code "thumbs_down"}) or a boolean is read as such. A number is compared with
 * the score threshold when one is set (positive when at least the threshold, negative otherwise);
 * without a threshold it must be 1, 0 or -1 (0 is neutral, so not kept). Anything else is an error naming
 * the record, so a log in an unexpected form is never silently dropped.
 */
public final class FeedbackRule {
    public static final String DEFAULT_RATING_FIELD = "rating";
    private static final String FORMS = "expected \"up\"/\"down\", true/false, 1/0/-1, or a number with a score threshold set.";

    private final String ratingField;
    private final Double scoreThreshold;

    /**
     * {@code ratingField}: null for {@value #DEFAULT_RATING_FIELD}. {@code scoreThreshold}: numbers at least
     * this are positive; null to accept only 1/0/-1 as numbers. A threshold of 1 keeps 1/0/-1 logs' meaning
     * except that 0 counts as negative rather than neutral.
     */
    public FeedbackRule(String ratingField, Double scoreThreshold) {
        if (scoreThreshold != null && !Double.isFinite(scoreThreshold)) {
            throw new ConfigException("The feedback score threshold " + scoreThreshold + " is not a finite number.");
        }
        this.ratingField = ratingField == null ? DEFAULT_RATING_FIELD : ratingField;
        this.scoreThreshold = scoreThreshold;
    }

    public String ratingField() {
        return ratingField;
    }

    /** The rating of {@code record}; {@code where} names it in errors. */
    public Rating rate(JsonNode record, String where) {
        JsonNode value = record.get(ratingField);
        if (value == null || value.isNull()) {
            throw new ConfigException("Feedback record " + where + " has no \"" + ratingField + "\" field; set the "
                    + "feedback rating field to the name that holds the rating.");
        }
        if (value.isBoolean()) {
            return value.asBoolean() ? Rating.POSITIVE : Rating.NEGATIVE;
        }
        if (value.isTextual()) {
            return rateThumb(value.asText(), where);
        }
        if (value.isNumber()) {
            return scoreThreshold != null ? rateScore(value.asDouble()) : rateSign(value, where);
        }
        throw new ConfigException("Feedback record " + where + " has " + ratingField + " " + value + "; " + FORMS);
    }

    private Rating rateScore(double score) {
        return score >= scoreThreshold ? Rating.POSITIVE : Rating.NEGATIVE;
    }

    private Rating rateThumb(String thumb, String where) {
        switch (thumb.strip().toLowerCase(Locale.ROOT)) {
            case "up", "thumbs_up", "thumbs-up", "thumbsup":
                return Rating.POSITIVE;
            case "down", "thumbs_down", "thumbs-down", "thumbsdown":
                return Rating.NEGATIVE;
            default:
                throw new ConfigException("Feedback record " + where + " has " + ratingField + " \"" + thumb + "\"; " + FORMS);
        }
    }

    private Rating rateSign(JsonNode value, String where) {
        if (value.isIntegralNumber() && value.canConvertToLong()) {
            long sign = value.asLong();
            if (sign == 1) {
                return Rating.POSITIVE;
            }
            if (sign == 0) {
                return Rating.NEUTRAL;
            }
            if (sign == -1) {
                return Rating.NEGATIVE;
            }
        }
        throw new ConfigException("Feedback record " + where + " has " + ratingField + " " + value
                + ", not 1/0/-1; set a score threshold if ratings are scores.");
    }
}
