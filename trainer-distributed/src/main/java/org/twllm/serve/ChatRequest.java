package org.twllm.serve;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import org.twllm.data.chat.Dialogue;
import org.twllm.data.chat.Message;
import org.twllm.data.chat.Role;

/**
 * A {@code POST /v1/chat/completions} body, checked: the fields OpenAI's API defines that this server
 * honours, with OpenAI's defaults (temperature 1, top_p 1, max_tokens as many as the context leaves).
 * Unknown fields are ignored, as OpenAI-compatible servers do; {@code n} other than 1 is refused.
 * Besides OpenAI's fields it reads {@code top_k} (as vLLM does) and {@code conversation_id}, which ties
 * the turns of one chat together for ratings.
 *
 * @param messages       an optional system message, then user and assistant turns alternating, ending with a user turn
 * @param maxTokens      null when not given
 * @param seed           null when not given (a random seed is drawn)
 * @param conversationId null when not given (the server makes one)
 * @param model          null when not given
 */
record ChatRequest(List<Message> messages, Integer maxTokens, double temperature, double topP, int topK, Long seed,
                   List<String> stop, boolean stream, boolean includeUsage, String conversationId, String model) {
    private static final int MAX_STOPS = 4;

    static ChatRequest parse(JsonNode body) {
        if (body == null || !body.isObject()) {
            throw ApiException.invalid(null, "the request body must be a JSON object with \"messages\"");
        }
        List<Message> messages = messages(body.get("messages"));
        Integer maxTokens = optionalInt(body, "max_completion_tokens");
        if (maxTokens == null) {
            maxTokens = optionalInt(body, "max_tokens");
        }
        if (maxTokens != null && maxTokens < 1) {
            throw ApiException.invalid("max_tokens", "max_tokens must be at least 1, got " + maxTokens);
        }
        double temperature = optionalNumber(body, "temperature", 1.0);
        if (!(temperature >= 0 && temperature <= 2)) {
            throw ApiException.invalid("temperature", "temperature must be between 0 and 2, got " + temperature);
        }
        double topP = optionalNumber(body, "top_p", 1.0);
        if (!(topP > 0 && topP <= 1)) {
            throw ApiException.invalid("top_p", "top_p must be in (0, 1], got " + topP);
        }
        Integer topK = optionalInt(body, "top_k");
        if (topK != null && topK < 0) {
            throw ApiException.invalid("top_k", "top_k must be 0 (no limit) or more, got " + topK);
        }
        Integer n = optionalInt(body, "n");
        if (n != null && n != 1) {
            throw ApiException.invalid("n", "n must be 1: this server writes one reply per request");
        }
        JsonNode seedNode = body.get("seed");
        Long seed = null;
        if (seedNode != null && !seedNode.isNull()) {
            if (!seedNode.canConvertToLong() || !seedNode.isIntegralNumber()) {
                throw ApiException.invalid("seed", "seed must be an integer");
            }
            seed = seedNode.asLong();
        }
        boolean stream = optionalBoolean(body, "stream", false);
        JsonNode options = body.get("stream_options");
        boolean includeUsage = options != null && options.isObject() && optionalBoolean(options, "include_usage", false);
        String conversationId = optionalString(body, "conversation_id");
        if (conversationId != null && !Ids.isValidClientId(conversationId)) {
            throw ApiException.invalid("conversation_id", "conversation_id must be 1 to 100 letters, digits or . _ : -");
        }
        return new ChatRequest(messages, maxTokens, temperature, topP, topK == null ? 0 : topK, seed, stops(body.get("stop")),
                stream, includeUsage, conversationId, optionalString(body, "model"));
    }

    private static List<Message> messages(JsonNode node) {
        if (node == null || !node.isArray() || node.isEmpty()) {
            throw ApiException.invalid("messages", "messages must be a non-empty array of {\"role\", \"content\"} objects");
        }
        List<Message> messages = new ArrayList<>(node.size());
        for (int i = 0; i < node.size(); i++) {
            JsonNode m = node.get(i);
            String where = "messages[" + i + "]";
            if (!m.isObject()) {
                throw ApiException.invalid(where, where + " must be an object with \"role\" and \"content\"");
            }
            Role role = role(m.get("role"), where);
            String content = content(m.get("content"), where);
            if (content.isBlank()) {
                throw ApiException.invalid(where, where + " (" + m.get("role").asText() + ") has no text");
            }
            messages.add(new Message(role, content));
        }
        if (messages.get(messages.size() - 1).role() != Role.USER) {
            throw ApiException.invalid("messages", "the last message must be from the user: it is the one the model answers");
        }
        // The conversation with its reply must be a dialogue SFT could train on (Dialogue checks the shape).
        List<Message> withReply = new ArrayList<>(messages);
        withReply.add(new Message(Role.ASSISTANT, "reply"));
        try {
            new Dialogue(withReply);
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid("messages", "messages: " + e.getMessage());
        }
        return messages;
    }

    private static Role role(JsonNode node, String where) {
        String role = node != null && node.isTextual() ? node.asText() : "";
        switch (role) {
            case "system", "developer":
                return Role.SYSTEM;
            case "user":
                return Role.USER;
            case "assistant":
                return Role.ASSISTANT;
            default:
                throw ApiException.invalid(where + ".role", where + ".role must be system, user or assistant"
                        + (role.isEmpty() ? "" : ", not \"" + role + "\" (tools and functions are not supported)"));
        }
    }

    /** A string, or an array of {@code {"type": "text", "text": ...}} parts joined. */
    private static String content(JsonNode node, String where) {
        if (node != null && node.isTextual()) {
            return node.asText();
        }
        if (node != null && node.isArray()) {
            StringBuilder text = new StringBuilder();
            for (JsonNode part : node) {
                JsonNode type = part.get("type");
                JsonNode partText = part.get("text");
                if (type == null || !"text".equals(type.asText()) || partText == null || !partText.isTextual()) {
                    throw ApiException.invalid(where + ".content", where + ".content parts must be {\"type\": \"text\", \"text\": ...}:"
                            + " this model reads text only");
                }
                text.append(partText.asText());
            }
            return text.toString();
        }
        throw ApiException.invalid(where + ".content", where + ".content must be a string");
    }

    private static List<String> stops(JsonNode node) {
        if (node == null || node.isNull()) {
            return List.of();
        }
        List<String> stops = new ArrayList<>();
        if (node.isTextual()) {
            stops.add(node.asText());
        } else if (node.isArray() && node.size() <= MAX_STOPS) {
            for (JsonNode s : node) {
                if (!s.isTextual()) {
                    throw ApiException.invalid("stop", "stop must be a string or a list of up to 4 strings");
                }
                stops.add(s.asText());
            }
        } else {
            throw ApiException.invalid("stop", "stop must be a string or a list of up to 4 strings");
        }
        if (stops.stream().anyMatch(String::isEmpty)) {
            throw ApiException.invalid("stop", "a stop sequence must not be empty");
        }
        return stops;
    }

    private static Integer optionalInt(JsonNode body, String field) {
        JsonNode node = body.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isIntegralNumber() || !node.canConvertToInt()) {
            throw ApiException.invalid(field, field + " must be an integer, got " + node);
        }
        return node.asInt();
    }

    private static double optionalNumber(JsonNode body, String field, double fallback) {
        JsonNode node = body.get(field);
        if (node == null || node.isNull()) {
            return fallback;
        }
        if (!node.isNumber()) {
            throw ApiException.invalid(field, field + " must be a number, got " + node);
        }
        return node.asDouble();
    }

    private static boolean optionalBoolean(JsonNode body, String field, boolean fallback) {
        JsonNode node = body.get(field);
        if (node == null || node.isNull()) {
            return fallback;
        }
        if (!node.isBoolean()) {
            throw ApiException.invalid(field, field + " must be true or false, got " + node);
        }
        return node.asBoolean();
    }

    private static String optionalString(JsonNode body, String field) {
        JsonNode node = body.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isTextual()) {
            throw ApiException.invalid(field, field + " must be a string, got " + node);
        }
        return node.asText();
    }
}
