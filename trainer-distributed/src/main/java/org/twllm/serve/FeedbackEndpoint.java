package org.twllm.serve;

import java.io.IOException;
import java.time.Instant;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import org.twllm.data.feedback.FeedbackLog;
import org.twllm.data.feedback.FeedbackRecord;

/**
 * {@code POST /v1/feedback {conversation_id, message_id, rating: "up"|"down", comment?}}: rates a reply
 * this server generated. The feedback log gets the whole conversation up to the rated reply, in the
 * format {@code twllm train --stage feedback-sft} reads, fsynced before the 200 reply. Only replies
 * the server knows can be rated: a client names a message, never a file or a conversation's text.
 */
final class FeedbackEndpoint {
    static final int MAX_COMMENT_CHARS = 2000;

    private final ServedModel model;
    private final ServedReplies replies;
    private final FeedbackLog log;

    FeedbackEndpoint(ServedModel model, ServedReplies replies, FeedbackLog log) {
        this.model = model;
        this.replies = replies;
        this.log = log;
    }

    void handle(HttpExchange exchange) throws IOException {
        JsonNode body = RequestGuard.readJson(exchange);
        if (!body.isObject()) {
            throw ApiException.invalid(null, "the request body must be a JSON object {conversation_id, message_id, rating}");
        }
        String conversationId = requiredString(body, FeedbackRecord.CONVERSATION_ID);
        String messageId = requiredString(body, FeedbackRecord.MESSAGE_ID);
        String rating = requiredString(body, "rating");
        if (!rating.equals(FeedbackRecord.UP) && !rating.equals(FeedbackRecord.DOWN)) {
            throw ApiException.invalid("rating", "rating must be \"up\" or \"down\", got \"" + rating + "\"");
        }
        JsonNode commentNode = body.get("comment");
        String comment = null;
        if (commentNode != null && !commentNode.isNull()) {
            if (!commentNode.isTextual()) {
                throw ApiException.invalid("comment", "comment must be a string");
            }
            comment = commentNode.asText().strip();
            if (comment.length() > MAX_COMMENT_CHARS) {
                throw ApiException.invalid("comment", "the comment has " + comment.length() + " characters; keep it to " + MAX_COMMENT_CHARS);
            }
            if (comment.isEmpty()) {
                comment = null;
            }
        }
        ServedReplies.Reply reply = replies.find(messageId);
        if (reply == null) {
            throw ApiException.notFound("message_id", "message_not_found", "no reply with message_id '" + messageId
                    + "' was served here (the server keeps its last " + ServedReplies.CAPACITY + " replies since it started)");
        }
        if (!reply.conversationId().equals(conversationId)) {
            throw ApiException.notFound("conversation_id", "message_not_found", "the reply '" + messageId
                    + "' is not part of conversation '" + conversationId + "'");
        }
        log.append(new FeedbackRecord(conversationId, messageId, rating.equals(FeedbackRecord.UP), comment, reply.conversation(),
                model.name, model.chatTemplate, Instant.now()));
        ObjectNode answer = HttpResponses.JSON.createObjectNode();
        answer.put("object", "feedback");
        answer.put(FeedbackRecord.CONVERSATION_ID, conversationId);
        answer.put(FeedbackRecord.MESSAGE_ID, messageId);
        answer.put("rating", rating);
        answer.put("logged", true);
        HttpResponses.json(exchange, 200, answer);
    }

    private static String requiredString(JsonNode body, String field) {
        JsonNode node = body.get(field);
        if (node == null || !node.isTextual() || node.asText().isEmpty()) {
            throw ApiException.invalid(field, field + " is required (a string)");
        }
        return node.asText();
    }
}
