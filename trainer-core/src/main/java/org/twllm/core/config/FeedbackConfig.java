package org.twllm.core.config;

/**
 * Feedback SFT: which rated conversations are kept.
 *
 * @param ratingField        JSON field holding the rating
 * @param positiveThreshold  a conversation is kept when its rating is at least this
 * @param sftMixRatio        share (0..1) of samples drawn from the stage's non-feedback sources
 *                           (plain SFT dialogues replayed against forgetting); 0 = feedback only
 */
public record FeedbackConfig(String ratingField, double positiveThreshold, double sftMixRatio) {
}
