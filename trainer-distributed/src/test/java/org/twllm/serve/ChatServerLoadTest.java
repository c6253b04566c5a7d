package org.twllm.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Load and limits: a full batch and queue answer 429 with Retry-After, and a client that disconnects
 * cancels its generation (streamed or not). The model repeats its reply until max_tokens (thousands of
 * tokens, seconds of work), so a request is still running when the test acts on it.
 */
class ChatServerLoadTest {
    private static final String LONG_REQUEST = "{\"messages\":[{\"role\":\"user\",\"content\":\"請一直說下去。\"}],"
            + "\"max_tokens\":4000,\"temperature\":1.0,\"stream\":%s}";

    @TempDir
    static Path dir;
    static ChatServer server;
    static URI base;

    @BeforeAll
    static void start() {
        Path model = TestModels.scripted(dir.resolve("model"), TestModels.TOKENIZER.encode("春眠不覺曉，處處聞啼鳥。"), true, 4096);
        server = ChatServer.start(TestModels.settings(model, dir.resolve("feedback.jsonl"), null, 1, 1));
        base = server.url();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** A request on its own connection, read up to its first line starting with {@code untilPrefix}. */
    private static Socket openRequest(boolean stream, String untilPrefix) throws IOException {
        Socket socket = new Socket(base.getHost(), base.getPort());
        socket.setSoTimeout(30_000);
        String request = TestHttp.rawRequest("POST", "/v1/chat/completions", "127.0.0.1:" + base.getPort(),
                List.of("Content-Type: application/json"), String.format(LONG_REQUEST, stream));
        socket.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
        BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null; ) {
            if (line.startsWith(untilPrefix)) {
                return socket;
            }
        }
        throw new IOException("the response ended before a line starting with " + untilPrefix);
    }

    private static JsonNode health() {
        return TestHttp.json(TestHttp.get(base.resolve("/health"), null));
    }

    /** Waits until /health shows nothing running or queued; returns it. */
    private static JsonNode awaitIdle() throws InterruptedException {
        long deadline = System.nanoTime() + 20_000_000_000L;
        JsonNode h = health();
        while ((h.get("running").asInt() > 0 || h.get("queued").asInt() > 0) && System.nanoTime() < deadline) {
            Thread.sleep(50);
            h = health();
        }
        return h;
    }

    @Test
    void aFullBatchAndQueueAnswer429AndDisconnectedClientsAreCancelled() throws Exception {
        JsonNode before = awaitIdle();
        long cancelled = before.get("cancelled").asLong();
        long completed = before.get("completed").asLong();
        try (Socket running = openRequest(true, "data: {\"id\"");
             Socket waiting = openRequest(true, "data: {\"id\"")) {
            // One generating, one waiting: the next is refused.
            assertTrue(running.isConnected() && waiting.isConnected());
            JsonNode h = health();
            assertEquals(1, h.get("running").asInt(), h.toString());
            assertEquals(1, h.get("queued").asInt(), h.toString());
            HttpResponse<String> refused = TestHttp.post(base.resolve("/v1/chat/completions"), String.format(LONG_REQUEST, false), null);
            assertEquals(429, refused.statusCode(), refused.body());
            assertTrue(Integer.parseInt(refused.headers().firstValue("Retry-After").orElse("0")) >= 1);
            JsonNode error = TestHttp.json(refused).get("error");
            assertEquals("queue_full", error.get("code").asText());
            assertTrue(error.get("message").asText().contains("busy"), error.toString());
        }
        // Both clients hung up: the running generation and the waiting one are dropped, long before 4,000 tokens.
        JsonNode after = awaitIdle();
        assertEquals(cancelled + 2, after.get("cancelled").asLong(), after.toString());
        assertEquals(completed, after.get("completed").asLong(), after.toString());
        assertTrue(after.get("rejected").asLong() >= 1);
    }

    @Test
    void aNonStreamedRequestIsCancelledWhenItsClientLeaves() throws Exception {
        JsonNode before = awaitIdle();
        long start = System.nanoTime();
        // The heartbeat (a space before the JSON) starts after a second: the response is then under way.
        try (Socket socket = openRequest(false, "HTTP/1.1 200")) {
            assertTrue(socket.isConnected());
            assertEquals(1, health().get("running").asInt());
        }
        JsonNode after = awaitIdle();
        assertEquals(before.get("cancelled").asLong() + 1, after.get("cancelled").asLong(), after.toString());
        assertEquals(before.get("completed").asLong(), after.get("completed").asLong(), after.toString());
        assertTrue(System.nanoTime() - start < 15_000_000_000L);
    }
}
