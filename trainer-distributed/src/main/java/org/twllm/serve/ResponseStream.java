package org.twllm.serve;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

import com.sun.net.httpserver.HttpExchange;

/**
 * A 200 response sent as it is produced (chunked transfer), each write flushed at once. A write to a
 * client that has disconnected fails with an IOException, which is how the server learns to cancel.
 */
final class ResponseStream {
    private final HttpExchange exchange;
    private OutputStream body;
    private long lastWrite = System.nanoTime();

    ResponseStream(HttpExchange exchange) {
        this.exchange = exchange;
    }

    /** Milliseconds until {@code periodMillis} have passed since the last write (or since the response began), at least 0. */
    long millisToHeartbeat(long periodMillis) {
        return Math.max(0, periodMillis - (System.nanoTime() - lastWrite) / 1_000_000);
    }

    boolean committed() {
        return body != null;
    }

    /** Sends the status line and headers; the body follows in chunks. */
    void commit(String contentType) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.sendResponseHeaders(200, 0);
        body = exchange.getResponseBody();
    }

    void write(String text) throws IOException {
        body.write(text.getBytes(StandardCharsets.UTF_8));
        body.flush();
        lastWrite = System.nanoTime();
    }
}
