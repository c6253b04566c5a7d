package org.twllm.data.feedback;

import java.time.Instant;
import java.util.List;
import java.util.Locale;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.twllm.data.chat.Dialogue;
import org.twllm.data.chat.Message;

/**
 * One rating of a served reply, as a feedback log line: the conversation up to and including the rated
 * reply in {@code messages} form (what {@link org.twllm.data.chat.DialogueParser} reads), the thumb in
 * {@code rating}, and the ids that let a later rating of the same message supersede this one
 * ({@link LatestRatings}). Other fields are provenance; readers ignore them.
 *
 * @param positive     thumbs up ({@code "up"}) or down ({@code "down"})
 * @param comment      the user's optional comment, or null
 * @param conversation the conversation, ending with the rated assistant reply
 * @param model        the name the model was served under
 * @param chatTemplate the chat template the prompt was rendered with
 */
public record FeedbackRecord(String conversationId, String messageId, boolean positive, String comment,
                             Dialogue conversation, String model, String chatTemplate, Instant created) {
    public static final String CONVERSATION_ID = "conversation_id";
    public static final String MESSAGE_ID = "message_id";
    public static final String UP = "up";
    public static final String DOWN = "down";

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The record as one line of JSON (no line break inside; none at the end). */
    public String toJsonLine() {
        ObjectNode root = JSON.createObjectNode();
        root.put(CONVERSATION_ID, conversationId);
        root.put(MESSAGE_ID, messageId);
        root.put(FeedbackRule.DEFAULT_RATING_FIELD, positive ? UP : DOWN);
        if (comment != null) {
            root.put("comment", comment);
        }
        ArrayNode messages = root.putArray("messages");
        List<Message> list = conversation.messages();
        for (Message m : list) {
            messages.addObject().put("role", m.role().name().toLowerCase(Locale.ROOT)).put("content", m.content());
        }
        root.put("model", model);
        root.put("chat_template", chatTemplate);
        root.put("created", created.toString());
        try {
            return JSON.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a tree of strings always serializes", e);
        }
    }
}
