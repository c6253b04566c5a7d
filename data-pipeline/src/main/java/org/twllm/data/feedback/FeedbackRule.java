package org.twllm.data.feedback;

import com.fasterxml.jackson.databind.JsonNode;
import org.twllm.errors.ConfigException;

import java.util.Locale;

/**
 * Reads the rating of one feedback record from a configurable field. Without a score threshold the
 * rating may be a thumb ({@code "up"}/{@code "down"}, also {@code "thumbs_up"}/{@code "thumbs_down"}),
 * a boolean, or one of the integers 1 / 0 / -1 (0 is neutral, so not kept). With a threshold the rating
 * must be a number and is positive when it is at least the threshold. Anything else is an error naming
 * the record, so a log in an unexpected form is never silently dropped.
 */
public final class FeedbackRule {
    public static final String DEFAULT_RATING_FIELD = "rating";

    private final String ratingField;
    private final Double scoreThreshold;

    /** {@code ratingField}: null for {@value #DEFAULT_RATING_FIELD}; {@code scoreThreshold}: null unless ratings are scores. */
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
        return scoreThreshold != null ? rateScore(value, where) : rateThumbOrSign(value, where);
    }

    private Rating rateScore(JsonNode value, String where) {
        if (!value.isNumber()) {
            throw new ConfigException("Feedback record " + where + " has " + ratingField + " " + value
                    + ", not a number, but a score threshold is set; remove the threshold for thumbs or 1/0/-1 ratings.");
        }
        return value.asDouble() >= scoreThreshold ? Rating.POSITIVE : Rating.NEGATIVE;
    }

    private Rating rateThumbOrSign(JsonNode value, String where) {
        if (value.isBoolean()) {
            return value.asBoolean() ? Rating.POSITIVE : Rating.NEGATIVE;
        }
        if (value.isTextual()) {
            switch (value.asText().strip().toLowerCase(Locale.ROOT)) {
                case "up", "thumbs_up", "thumbs-up", "thumbsup":
                    return Rating.POSITIVE;
                case "down", "thumbs_down", "thumbs-down", "thumbsdown":
                    return Rating.NEGATIVE;
                default:
                    throw new ConfigException("Feedback record " + where + " has " + ratingField + " \"" + value.asText()
                            + "\"; expected \"up\" or \"down\", true/false, 1/0/-1, or a number with a score threshold set.");
            }
        }
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
                + "; expected 1/0/-1, \"up\"/\"down\" or true/false; set a score threshold if ratings are scores.");
    }
}
