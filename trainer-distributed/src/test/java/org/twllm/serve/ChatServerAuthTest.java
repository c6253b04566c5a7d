package org.twllm.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twllm.errors.ConfigException;

/** Security: loopback unless a key is set; with a key, 'Authorization: Bearer KEY' on every API endpoint. */
class ChatServerAuthTest {
    @TempDir
    Path dir;

    @Test
    void aNonLoopbackHostNeedsAnApiKey() {
        ConfigException e = assertThrows(ConfigException.class, () -> new ServeSettings(dir, null, "taiwan-llm", null, 0, "0.0.0.0",
                0, dir.resolve("f.jsonl"), null, 1, 1, null));
        assertTrue(e.getMessage().contains("--api-key"), e.getMessage());
        assertThrows(ConfigException.class, () -> new ServeSettings(dir, null, "taiwan-llm", null, 0, "127.0.0.1",
                0, dir.resolve("f.jsonl"), " ", 1, 1, null));
    }

    @Test
    void withAKeyEveryEndpointButThePageNeedsIt() {
        Path model = TestModels.scripted(dir.resolve("model"), TestModels.TOKENIZER.encode("好。"));
        String key = "s3cret-key";
        try (ChatServer server = ChatServer.start(new ServeSettings(model, null, "taiwan-llm", null, 0, "0.0.0.0", 0,
                dir.resolve("feedback.jsonl"), key, 1, 1, null))) {
            URI base = URI.create("http://127.0.0.1:" + server.url().getPort() + "/");
            for (String path : List.of("/health", "/v1/models")) {
                HttpResponse<String> none = TestHttp.get(base.resolve(path), null);
                assertEquals(401, none.statusCode(), path);
                assertEquals("Bearer", none.headers().firstValue("WWW-Authenticate").orElse(null));
                assertEquals("invalid_api_key", TestHttp.json(none).get("error").get("code").asText());
                assertEquals(401, TestHttp.get(base.resolve(path), "wrong").statusCode(), path);
                assertEquals(200, TestHttp.get(base.resolve(path), key).statusCode(), path);
            }
            String chat = "{\"messages\":[{\"role\":\"user\",\"content\":\"你好\"}]}";
            assertEquals(401, TestHttp.post(base.resolve("/v1/chat/completions"), chat, null).statusCode());
            assertEquals(401, TestHttp.post(base.resolve("/v1/feedback"), "{}", "s3cret-kez").statusCode());
            HttpResponse<String> ok = TestHttp.post(base.resolve("/v1/chat/completions"), chat, key);
            assertEquals("好。", TestHttp.json(ok).get("choices").get(0).get("message").get("content").asText());
            // The page holds no data; a browser cannot send a key to load it, so it asks for one.
            HttpResponse<String> page = TestHttp.get(base, null);
            assertEquals(200, page.statusCode());
            assertTrue(page.body().contains("API 金鑰"));
            // With a key, requests for other host names are answered (the server is meant to be reached so).
            String other = TestHttp.raw(base, TestHttp.rawRequest("GET", "/v1/models", "twllm.example:8000",
                    List.of("Authorization: Bearer " + key), null));
            assertTrue(other.startsWith("HTTP/1.1 200"), other);
        }
    }
}
