package org.twllm.serve;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Locale;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;

/**
 * The checks every API request passes before it is read:
 * <ul>
 *   <li>with an API key, {@code Authorization: Bearer KEY} (compared in constant time) on every
 *       endpoint but the page itself, which holds no data and asks for the key;</li>
 *   <li>without one (loopback only), a {@code Host} naming this machine, so a web page on another
 *       site cannot reach the server through DNS rebinding;</li>
 *   <li>a browser's {@code Origin}, when sent, must be this server: other sites' pages are refused;</li>
 *   <li>POST bodies must be {@code application/json} (which also keeps cross-site forms out) and at
 *       most {@link ServeSettings#MAX_REQUEST_BYTES}.</li>
 * </ul>
 */
final class RequestGuard {
    /** How much of a too-large body is read and dropped before the 413 goes out. */
    private static final int DRAIN_BYTES = 16 << 20;
    private final byte[] keyDigest;

    /** {@code apiKey}: null when requests need none. */
    RequestGuard(String apiKey) {
        this.keyDigest = apiKey == null ? null : sha256(apiKey);
    }

    /** Refuses the request unless it passes; {@code needsKey}: false for the page itself (a browser cannot send the key to load it). */
    void check(HttpExchange exchange, boolean needsKey) {
        String host = exchange.getRequestHeaders().getFirst("Host");
        if (keyDigest == null && !isLocalHost(host)) {
            throw ApiException.forbidden("this server answers requests to localhost only (Host was '" + host
                    + "'); to serve other hosts, restart it with --host and --api-key");
        }
        String origin = exchange.getRequestHeaders().getFirst("Origin");
        if (origin != null && !origin.equals("http://" + host)) {
            throw ApiException.forbidden("requests from web pages of other sites (Origin '" + origin + "') are refused;"
                    + " use the chat page this server serves, or call the API from a program");
        }
        if (needsKey && keyDigest != null) {
            String authorization = exchange.getRequestHeaders().getFirst("Authorization");
            String prefix = "Bearer ";
            if (authorization == null || !authorization.regionMatches(true, 0, prefix, 0, prefix.length())) {
                throw ApiException.unauthorized("this server needs an API key: send 'Authorization: Bearer KEY'");
            }
            if (!MessageDigest.isEqual(keyDigest, sha256(authorization.substring(prefix.length()).strip()))) {
                throw ApiException.unauthorized("the API key is wrong: send the key the server was started with");
            }
        }
    }

    /** The request body as JSON: refused unless it is application/json and within the size limit. */
    static JsonNode readJson(HttpExchange exchange) throws IOException {
        String type = exchange.getRequestHeaders().getFirst("Content-Type");
        if (type == null || !type.toLowerCase(Locale.ROOT).strip().startsWith("application/json")) {
            throw ApiException.unsupportedMediaType("send the body as JSON with 'Content-Type: application/json'");
        }
        String length = exchange.getRequestHeaders().getFirst("Content-Length");
        if (length != null) {
            parseLength(length);
        }
        byte[] body;
        try (InputStream in = exchange.getRequestBody()) {
            body = in.readNBytes(ServeSettings.MAX_REQUEST_BYTES + 1);
            if (body.length > ServeSettings.MAX_REQUEST_BYTES) {
                drain(in);
                throw tooLarge();
            }
        }
        try {
            JsonNode node = HttpResponses.JSON.readTree(new String(body, StandardCharsets.UTF_8));
            if (node == null || node.isMissingNode()) {
                throw ApiException.invalid(null, "the request body is empty: send a JSON object");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw ApiException.invalid(null, "the request body is not valid JSON: " + e.getOriginalMessage());
        }
    }

    /**
     * Reads on (within reason) and drops what a client still sends of a too-large body, so it gets to
     * read the 413 rather than a reset connection. Reads, not skip: the JDK's body stream does not bound
     * skip to the body.
     */
    private static void drain(InputStream in) throws IOException {
        byte[] sink = new byte[8192];
        long left = DRAIN_BYTES;
        int n;
        while (left > 0 && (n = in.read(sink, 0, (int) Math.min(sink.length, left))) > 0) {
            left -= n;
        }
    }

    private static long parseLength(String value) {
        try {
            return Long.parseLong(value.strip());
        } catch (NumberFormatException e) {
            throw ApiException.invalid(null, "Content-Length '" + value + "' is not a number");
        }
    }

    private static ApiException tooLarge() {
        return ApiException.tooLarge("the request body is larger than " + ServeSettings.MAX_REQUEST_BYTES / 1024
                + " KiB: send a shorter conversation");
    }

    /** Whether a Host header names the loopback interface: localhost, 127.0.0.1 or [::1], with any port. */
    static boolean isLocalHost(String host) {
        if (host == null) {
            return false;
        }
        String name = host.strip().toLowerCase(Locale.ROOT);
        if (name.startsWith("[")) {
            int end = name.indexOf(']');
            name = end < 0 ? name : name.substring(0, end + 1);
        } else if (name.indexOf(':') >= 0) {
            name = name.substring(0, name.indexOf(':'));
        }
        return name.equals("localhost") || name.equals("127.0.0.1") || name.equals("[::1]");
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
