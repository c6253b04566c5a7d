package org.twllm.data.feedback;

/** What a {@link FeedbackFilter} did with the records it saw ({@code superseded}: replaced by a later rating of the same message). */
public record FeedbackCounts(long records, long kept, long negative, long neutral, long duplicates, long superseded) {
}
