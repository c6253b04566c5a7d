package org.twllm.data.feedback;

/** What a {@link FeedbackFilter} did with the records it saw. */
public record FeedbackCounts(long records, long kept, long negative, long neutral, long duplicates) {
}
