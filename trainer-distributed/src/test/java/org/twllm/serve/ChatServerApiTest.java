package org.twllm.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The OpenAI-compatible API over HTTP, as stock clients call it: the exact shapes of chat.completion,
 * chat.completion.chunk, usage and errors, /v1/models, /health, and every limit's 4xx. The model is
 * scripted to answer {@link #REPLY}, so contents are checked exactly.
 */
class ChatServerApiTest {
    static final String REPLY = "玉山海拔三九五二公尺。";
    private static final String QUESTION = "{\"role\":\"user\",\"content\":\"臺灣最高的山是哪一座？\"}";

    @TempDir
    static Path dir;
    static ChatServer server;
    static URI base;

    @BeforeAll
    static void start() {
        Path model = TestModels.scripted(dir.resolve("model"), TestModels.TOKENIZER.encode(REPLY));
        server = ChatServer.start(TestModels.settings(model, dir.resolve("feedback.jsonl"), null, 2, 2));
        base = server.url();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static HttpResponse<String> complete(String body) {
        return TestHttp.post(base.resolve("/v1/chat/completions"), body, null);
    }

    @Test
    void aStockRequestGetsAChatCompletion() {
        // What the openai Python client sends for client.chat.completions.create(model=..., messages=[...]).
        HttpResponse<String> r = complete("{\"messages\":[{\"role\":\"system\",\"content\":\"你是臺灣的助理。\"}," + QUESTION
                + "],\"model\":\"model\",\"temperature\":0.7,\"max_tokens\":64}");
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
        JsonNode c = TestHttp.json(r);
        assertTrue(c.get("id").asText().startsWith("chatcmpl-"), c.toString());
        assertEquals("chat.completion", c.get("object").asText());
        assertTrue(c.get("created").isIntegralNumber());
        assertEquals("model", c.get("model").asText());
        assertTrue(c.get("conversation_id").asText().startsWith("conv-"));
        assertEquals(1, c.get("choices").size());
        JsonNode choice = c.get("choices").get(0);
        assertEquals(0, choice.get("index").asInt());
        assertEquals("assistant", choice.get("message").get("role").asText());
        assertEquals(REPLY, choice.get("message").get("content").asText());
        assertTrue(choice.get("logprobs").isNull());
        assertEquals("stop", choice.get("finish_reason").asText());
        JsonNode usage = c.get("usage");
        assertEquals(TestModels.TOKENIZER.encode(REPLY).length, usage.get("completion_tokens").asInt());
        assertEquals(usage.get("prompt_tokens").asInt() + usage.get("completion_tokens").asInt(), usage.get("total_tokens").asInt());
        assertTrue(usage.get("prompt_tokens").asInt() > 10);
    }

    @Test
    void aStreamIsServerSentEventsOfChunksEndingWithDone() {
        HttpResponse<String> r = complete("{\"model\":\"model\",\"messages\":[" + QUESTION + "],\"stream\":true,"
                + "\"stream_options\":{\"include_usage\":true}}");
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
        List<String> events = TestHttp.events(r.body());
        assertEquals("[DONE]", events.get(events.size() - 1));
        List<JsonNode> chunks = events.subList(0, events.size() - 1).stream().map(TestHttp::json).toList();
        String id = chunks.get(0).get("id").asText();
        StringBuilder text = new StringBuilder();
        for (JsonNode chunk : chunks) {
            assertEquals("chat.completion.chunk", chunk.get("object").asText(), chunk.toString());
            assertEquals(id, chunk.get("id").asText(), "every chunk carries the completion's id");
            assertTrue(chunk.has("usage"), "with include_usage every chunk has a usage field");
        }
        JsonNode first = chunks.get(0).get("choices").get(0);
        assertEquals("assistant", first.get("delta").get("role").asText());
        assertTrue(first.get("finish_reason").isNull());
        for (JsonNode chunk : chunks.subList(1, chunks.size() - 2)) {
            JsonNode choice = chunk.get("choices").get(0);
            assertTrue(choice.get("finish_reason").isNull());
            assertTrue(chunk.get("usage").isNull());
            text.append(choice.get("delta").get("content").asText());
        }
        assertEquals(REPLY, text.toString());
        assertTrue(chunks.size() - 3 > 1, "the reply came in several chunks: " + events);
        JsonNode last = chunks.get(chunks.size() - 2).get("choices").get(0);
        assertEquals("stop", last.get("finish_reason").asText());
        assertEquals(0, last.get("delta").size());
        JsonNode usageChunk = chunks.get(chunks.size() - 1);
        assertEquals(0, usageChunk.get("choices").size());
        assertEquals(TestModels.TOKENIZER.encode(REPLY).length, usageChunk.get("usage").get("completion_tokens").asInt());

        // Without include_usage there is no usage field and no usage chunk.
        List<String> plain = TestHttp.events(complete("{\"messages\":[" + QUESTION + "],\"stream\":true}").body());
        JsonNode lastPlain = TestHttp.json(plain.get(plain.size() - 2));
        assertFalse(lastPlain.has("usage"));
        assertEquals("stop", lastPlain.get("choices").get(0).get("finish_reason").asText());
    }

    @Test
    void maxTokensAndStopSequencesEndTheReply() {
        JsonNode cut = TestHttp.json(complete("{\"messages\":[" + QUESTION + "],\"max_tokens\":3}"));
        assertEquals("玉山海", cut.get("choices").get(0).get("message").get("content").asText());
        assertEquals("length", cut.get("choices").get(0).get("finish_reason").asText());
        assertEquals(3, cut.get("usage").get("completion_tokens").asInt());
        JsonNode stopped = TestHttp.json(complete("{\"messages\":[" + QUESTION + "],\"stop\":[\"五二\",\"x\"],\"stream\":false}"));
        assertEquals("玉山海拔三九", stopped.get("choices").get(0).get("message").get("content").asText());
        assertEquals("stop", stopped.get("choices").get(0).get("finish_reason").asText());
        // Content given as text parts, and a conversation id the client chose, come back as sent.
        JsonNode parts = TestHttp.json(complete("{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"你好\"}]}],"
                + "\"conversation_id\":\"page-42\"}"));
        assertEquals("page-42", parts.get("conversation_id").asText());
        assertEquals(REPLY, parts.get("choices").get(0).get("message").get("content").asText());
    }

    @Test
    void modelsAndHealth() {
        JsonNode models = TestHttp.json(TestHttp.get(base.resolve("/v1/models"), null));
        assertEquals("list", models.get("object").asText());
        assertEquals("model", models.get("data").get(0).get("id").asText());
        assertEquals("model", models.get("data").get(0).get("object").asText());
        assertEquals(512, models.get("data").get(0).get("max_model_len").asInt());
        JsonNode health = TestHttp.json(TestHttp.get(base.resolve("/health"), null));
        assertEquals("ok", health.get("status").asText());
        assertEquals(2, health.get("max_concurrent").asInt());
        assertEquals(0, health.get("running").asInt());
    }

    /** Status, then the error's code, for a request that must be refused. */
    private static void assertRefused(HttpResponse<String> r, int status, String code, String messagePart) {
        assertEquals(status, r.statusCode(), r.body());
        JsonNode error = TestHttp.json(r).get("error");
        assertEquals(code, error.get("code").asText(), r.body());
        assertTrue(error.get("type").isTextual() && error.has("param"), r.body());
        assertTrue(error.get("message").asText().contains(messagePart), r.body());
    }

    @Test
    void limitsAndBadRequestsGetClearErrorsInOpenAisShape() {
        assertRefused(complete("{\"messages\":[]}"), 400, "invalid_value", "non-empty array");
        assertRefused(complete("{\"messages\":[" + QUESTION + "," + QUESTION + "]}"), 400, "invalid_value", "alternate");
        assertRefused(complete("{\"messages\":[{\"role\":\"assistant\",\"content\":\"嗨\"}]}"), 400, "invalid_value", "from the user");
        assertRefused(complete("{\"messages\":[{\"role\":\"tool\",\"content\":\"x\"}]}"), 400, "invalid_value", "tools");
        assertRefused(complete("{\"messages\":[{\"role\":\"user\",\"content\":\"  \"}]}"), 400, "invalid_value", "no text");
        assertRefused(complete("{\"messages\":[" + QUESTION + "],\"temperature\":3}"), 400, "invalid_value", "between 0 and 2");
        assertRefused(complete("{\"messages\":[" + QUESTION + "],\"n\":2}"), 400, "invalid_value", "n must be 1");
        assertRefused(complete("{\"messages\":[" + QUESTION + "],\"max_tokens\":0}"), 400, "invalid_value", "at least 1");
        assertRefused(complete("{\"messages\":[" + QUESTION + "],\"max_tokens\":100000}"), 400, "context_length_exceeded", "does not fit");
        String longText = "山".repeat(600);
        assertRefused(complete("{\"messages\":[{\"role\":\"user\",\"content\":\"" + longText + "\"}]}"), 400,
                "context_length_exceeded", "context holds 512");
        assertRefused(complete("{\"messages\":[" + QUESTION + "],\"model\":\"gpt-4\"}"), 404, "model_not_found", "serves 'model'");
        assertRefused(complete("{\"messages\":"), 400, "invalid_value", "not valid JSON");
        assertRefused(complete("x".repeat(ServeSettings.MAX_REQUEST_BYTES + 1)), 413, "request_too_large", "larger than");
        assertRefused(TestHttp.get(base.resolve("/v1/chat/completions"), null), 405, "method_not_allowed", "use POST");
        assertRefused(TestHttp.get(base.resolve("/v1/nothing"), null), 404, "unknown_url", "/v1/chat/completions");
        String textPlain = TestHttp.raw(base, TestHttp.rawRequest("POST", "/v1/chat/completions", "127.0.0.1",
                List.of("Content-Type: text/plain"), "{\"messages\":[" + QUESTION + "]}"));
        assertTrue(textPlain.startsWith("HTTP/1.1 415"), textPlain);
    }

    @Test
    void otherSitesPagesAndOtherHostNamesAreRefused() {
        String body = "{\"messages\":[" + QUESTION + "]}";
        String host = "127.0.0.1:" + base.getPort();
        String crossSite = TestHttp.raw(base, TestHttp.rawRequest("POST", "/v1/chat/completions", host,
                List.of("Content-Type: application/json", "Origin: https://evil.example"), body));
        assertTrue(crossSite.startsWith("HTTP/1.1 403") && crossSite.contains("other sites"), crossSite);
        String sameSite = TestHttp.raw(base, TestHttp.rawRequest("POST", "/v1/chat/completions", host,
                List.of("Content-Type: application/json", "Origin: http://" + host), body));
        assertTrue(sameSite.startsWith("HTTP/1.1 200"), sameSite);
        // DNS rebinding: a page of evil.example whose name now resolves to 127.0.0.1.
        String rebound = TestHttp.raw(base, TestHttp.rawRequest("GET", "/v1/models", "evil.example:" + base.getPort(), List.of(), null));
        assertTrue(rebound.startsWith("HTTP/1.1 403") && rebound.contains("localhost only"), rebound);
        String localhost = TestHttp.raw(base, TestHttp.rawRequest("GET", "/v1/models", "localhost:" + base.getPort(), List.of(), null));
        assertTrue(localhost.startsWith("HTTP/1.1 200"), localhost);
    }

    @Test
    void thePageIsServedWithAPolicyThatAllowsOnlyItsOwnScript() {
        HttpResponse<String> page = TestHttp.get(base, null);
        assertEquals(200, page.statusCode());
        assertTrue(page.body().contains("<html lang=\"zh-Hant-TW\">") && page.body().contains("送出"));
        String policy = page.headers().firstValue("Content-Security-Policy").orElse("");
        assertTrue(policy.contains("script-src 'sha256-") && policy.contains("default-src 'none'"), policy);
        assertFalse(policy.contains("unsafe-inline"), policy);
        assertEquals("nosniff", page.headers().firstValue("X-Content-Type-Options").orElse(null));
        assertNull(server.setAsideFeedbackLine());
    }
}
