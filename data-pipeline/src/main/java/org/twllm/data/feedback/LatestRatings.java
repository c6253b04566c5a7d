package org.twllm.data.feedback;

import java.util.HashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Which records of a feedback log a later rating of the same message supersedes. A record that carries
 * both {@code conversation_id} and {@code message_id} (as {@code twllm serve} writes them) names the
 * message it rates; of the records naming one message only the last in log order counts, so a user who
 * turns a thumbs-down into a thumbs-up (or adds a comment) leaves one rating behind. Records without
 * both ids are independent ratings and never superseded.
 *
 * <p>Two passes over the log: {@link #see} every record in order, then ask {@link #isSuperseded} for each.
 * A record's location ({@code where}) must be the same string in both passes.
 */
public final class LatestRatings {
    /** Message key (conversation id, message id) -> location of its latest rating. */
    private final Map<String, String> latest = new HashMap<>();

    /** First pass: the record at {@code where} is now the latest rating of its message. */
    public void see(JsonNode record, String where) {
        String key = messageKey(record);
        if (key != null) {
            latest.put(key, where);
        }
    }

    /** Second pass: whether a later record rates the same message as the one at {@code where}. */
    public boolean isSuperseded(JsonNode record, String where) {
        String key = messageKey(record);
        return key != null && !where.equals(latest.get(key));
    }

    /** "conversation id \0 message id", or null unless the record has both as strings. */
    private static String messageKey(JsonNode record) {
        if (record == null) {
            return null;
        }
        JsonNode conversation = record.get(FeedbackRecord.CONVERSATION_ID);
        JsonNode message = record.get(FeedbackRecord.MESSAGE_ID);
        if (conversation == null || message == null || !conversation.isTextual() || !message.isTextual()) {
            return null;
        }
        return conversation.asText() + '\u0000' + message.asText();
    }
}
