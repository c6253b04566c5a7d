package org.twllm.serve;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;

/** Writing whole responses: JSON bodies and errors in OpenAI's shape. */
final class HttpResponses {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String JSON_TYPE = "application/json; charset=utf-8";

    private HttpResponses() {
    }

    static String toJson(JsonNode node) {
        try {
            return JSON.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree always serializes", e);
        }
    }

    static void send(HttpExchange exchange, int status, String contentType, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    static void json(HttpExchange exchange, int status, JsonNode body) throws IOException {
        send(exchange, status, JSON_TYPE, toJson(body).getBytes(StandardCharsets.UTF_8));
    }

    /** {@code {"error": {"message", "type", "param", "code"}}}, as OpenAI's API answers. */
    static ObjectNode errorBody(ApiException e) {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode error = root.putObject("error");
        error.put("message", e.getMessage());
        error.put("type", e.type);
        error.put("param", e.param);
        error.put("code", e.code);
        return root;
    }

    static void error(HttpExchange exchange, ApiException e) throws IOException {
        if (e.retryAfterSeconds > 0) {
            exchange.getResponseHeaders().set("Retry-After", String.valueOf(e.retryAfterSeconds));
        }
        if (e.status == 401) {
            exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer");
        }
        json(exchange, e.status, errorBody(e));
    }
}
