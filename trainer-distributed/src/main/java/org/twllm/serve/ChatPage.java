package org.twllm.serve;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

import com.sun.net.httpserver.HttpExchange;

/**
 * The chat page ({@code chat.html} beside this class: one file, no build step), served with a Content
 * Security Policy that allows exactly its own inline script and style (by hash) and requests to this
 * server only. The page shows model output as text; the policy is a second line of defence.
 */
final class ChatPage {
    private static final String RESOURCE = "chat.html";

    private final byte[] html;
    private final String policy;

    private ChatPage(byte[] html, String policy) {
        this.html = html;
        this.policy = policy;
    }

    static ChatPage load() {
        String text;
        try (InputStream in = ChatPage.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the build");
            }
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + RESOURCE + " from the build", e);
        }
        String policy = "default-src 'none'; script-src '" + hash(between(text, "<script>", "</script>")) + "'; style-src '"
                + hash(between(text, "<style>", "</style>")) + "'; connect-src 'self'; img-src 'self' data:; base-uri 'none';"
                + " form-action 'none'; frame-ancestors 'none'";
        return new ChatPage(text.getBytes(StandardCharsets.UTF_8), policy);
    }

    void send(HttpExchange exchange) throws IOException {
        exchange.getResponseHeaders().set("Content-Security-Policy", policy);
        exchange.getResponseHeaders().set("X-Frame-Options", "DENY");
        HttpResponses.send(exchange, 200, "text/html; charset=utf-8", html);
    }

    private static String between(String text, String open, String close) {
        int start = text.indexOf(open);
        int end = text.indexOf(close, start);
        if (start < 0 || end < 0 || text.indexOf(open, start + 1) >= 0) {
            throw new IllegalStateException(RESOURCE + " must hold exactly one " + open + " element");
        }
        return text.substring(start + open.length(), end);
    }

    private static String hash(String content) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(content.getBytes(StandardCharsets.UTF_8));
            return "sha256-" + Base64.getEncoder().encodeToString(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
