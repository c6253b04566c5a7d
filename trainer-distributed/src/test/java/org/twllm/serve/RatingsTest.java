package org.twllm.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twllm.data.chat.Dialogue;
import org.twllm.data.chat.DialogueParser;
import org.twllm.data.chat.Role;
import org.twllm.data.corpus.ExtractedFeedback;
import org.twllm.data.feedback.FeedbackRule;

/**
 * POST /v1/feedback: a rating stores the conversation up to the rated reply, exactly as served, in a line
 * the feedback extractor (data prepare, feedback-sft) takes as it is; only replies the server made can be rated.
 */
class RatingsTest {
    static final String REPLY = "玉山海拔三九五二公尺。";

    @TempDir
    static Path dir;
    static ChatServer server;
    static URI base;
    static Path log;

    @BeforeAll
    static void start() {
        Path model = TestModels.scripted(dir.resolve("model"), TestModels.TOKENIZER.encode(REPLY));
        log = dir.resolve("ratings/feedback.jsonl");
        server = ChatServer.start(new ServeSettings(model, null, "taiwan-llm", "你是臺灣的導遊。", 0, "127.0.0.1", 0, log, null, 2, 2, "guide"));
        base = server.url();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** One completion: its id and conversation id. */
    static String[] chat(URI base, String conversationId, String messages) {
        String body = "{\"messages\":" + messages + (conversationId == null ? "" : ",\"conversation_id\":\"" + conversationId + "\"") + "}";
        HttpResponse<String> r = TestHttp.post(base.resolve("/v1/chat/completions"), body, null);
        assertEquals(200, r.statusCode(), r.body());
        JsonNode c = TestHttp.json(r);
        return new String[] {c.get("id").asText(), c.get("conversation_id").asText()};
    }

    static HttpResponse<String> rate(URI base, String conversationId, String messageId, String rating, String comment) {
        String body = "{\"conversation_id\":\"" + conversationId + "\",\"message_id\":\"" + messageId + "\",\"rating\":\"" + rating + "\""
                + (comment == null ? "" : ",\"comment\":\"" + comment + "\"") + "}";
        return TestHttp.post(base.resolve("/v1/feedback"), body, null);
    }

    private static List<String> logLines() throws Exception {
        return Files.readAllLines(log, StandardCharsets.UTF_8);
    }

    @Test
    void aRatingLogsTheConversationUpToTheRatedReply() throws Exception {
        int before = Files.exists(log) ? logLines().size() : 0;
        String[] first = chat(base, null, "[{\"role\":\"user\",\"content\":\"臺灣最高的山？\"}]");
        String[] second = chat(base, first[1], "[{\"role\":\"user\",\"content\":\"臺灣最高的山？\"},{\"role\":\"assistant\",\"content\":\""
                + REPLY + "\"},{\"role\":\"user\",\"content\":\"那要怎麼去？\"}]");
        assertEquals(first[1], second[1], "the conversation id comes back with the next turn");

        // Rating the first reply after the second was written stores the conversation up to the first.
        HttpResponse<String> ok = rate(base, first[1], first[0], "up", "很清楚");
        assertEquals(200, ok.statusCode(), ok.body());
        JsonNode answer = TestHttp.json(ok);
        assertTrue(answer.get("logged").asBoolean());
        assertEquals("up", answer.get("rating").asText());
        assertEquals(200, rate(base, second[1], second[0], "down", null).statusCode());

        List<String> lines = logLines();
        assertEquals(before + 2, lines.size());
        JsonNode up = TestHttp.json(lines.get(before));
        assertEquals(first[1], up.get("conversation_id").asText());
        assertEquals(first[0], up.get("message_id").asText());
        assertEquals("up", up.get("rating").asText());
        assertEquals("很清楚", up.get("comment").asText());
        assertEquals("guide", up.get("model").asText());
        assertEquals("taiwan-llm", up.get("chat_template").asText());
        Dialogue upDialogue = DialogueParser.parse(up, "line 1");
        // The server's --system-prompt is written out: the log holds what the model saw.
        assertEquals("你是臺灣的導遊。", upDialogue.system().orElseThrow());
        assertEquals(2, upDialogue.turns().size());
        assertEquals(REPLY, upDialogue.turns().get(1).content());
        Dialogue down = DialogueParser.parse(TestHttp.json(lines.get(before + 1)), "line 2");
        assertEquals(4, down.turns().size());
        assertEquals(Role.USER, down.turns().get(2).role());
        assertEquals("那要怎麼去？", down.turns().get(2).content());
        assertFalse(TestHttp.json(lines.get(before + 1)).has("comment"));

        // The feedback extractor takes the log as it is: the 👍 conversation is kept, the 👎 one is not.
        List<Dialogue> kept = ExtractedFeedback.read(log, new FeedbackRule(null, 1.0)).kept();
        assertTrue(kept.contains(upDialogue));
        assertFalse(kept.contains(down));
    }

    @Test
    void onlyRepliesTheServerMadeCanBeRated() {
        String[] c = chat(base, null, "[{\"role\":\"user\",\"content\":\"你好\"}]");
        HttpResponse<String> unknown = rate(base, c[1], "chatcmpl-000000000000000000000000", "up", null);
        assertEquals(404, unknown.statusCode());
        assertEquals("message_not_found", TestHttp.json(unknown).get("error").get("code").asText());
        HttpResponse<String> otherConversation = rate(base, "conv-someone-else", c[0], "up", null);
        assertEquals(404, otherConversation.statusCode());
        assertTrue(TestHttp.json(otherConversation).get("error").get("message").asText().contains("not part of conversation"));
        HttpResponse<String> badRating = rate(base, c[1], c[0], "meh", null);
        assertEquals(400, badRating.statusCode());
        assertTrue(TestHttp.json(badRating).get("error").get("message").asText().contains("\"up\" or \"down\""));
        HttpResponse<String> longComment = rate(base, c[1], c[0], "up", "好".repeat(FeedbackEndpoint.MAX_COMMENT_CHARS + 1));
        assertEquals(400, longComment.statusCode());
        HttpResponse<String> missing = TestHttp.post(base.resolve("/v1/feedback"), "{\"message_id\":\"" + c[0] + "\",\"rating\":\"up\"}", null);
        assertEquals(400, missing.statusCode());
        assertEquals("conversation_id", TestHttp.json(missing).get("error").get("param").asText());
    }
}
