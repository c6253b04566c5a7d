package org.twllm.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chat page in a real headless Chromium: type a zh-TW message (Shift+Enter for a second line, Enter
 * to send), watch the reply stream in, click 👍 and find the rating in the feedback log. The model's
 * reply contains a {@code <script>} element, which the page must show as text, not run or parse.
 */
class ChatPageBrowserTest {
    /** Written with the tokenizer's own pieces up to "alert(1)", then byte pieces, so no token repeats in the chain. */
    private static final String REPLY = "你好！<script>alert(1)</script>";
    private static final int[] REPLY_IDS = TestModels.concat(TestModels.TOKENIZER.encode("你好！<script>alert(1)"),
            TestModels.bytePieces("</script>"));

    @TempDir
    Path dir;

    @Test
    void chatStreamRateAndTheReplyStaysText() throws Exception {
        assertEquals(REPLY, TestModels.TOKENIZER.decode(REPLY_IDS));
        Path model = TestModels.scripted(dir.resolve("model"), REPLY_IDS);
        Path log = dir.resolve("feedback.jsonl");
        try (ChatServer server = ChatServer.start(TestModels.settings(model, log, null, 2, 2));
             HeadlessChromium browser = HeadlessChromium.start(dir.resolve("profile"))) {
            browser.navigate(server.url());
            browser.waitFor("document.getElementById('model').textContent.includes('model')", Duration.ofSeconds(20));
            // Count the page's updates of assistant text: one per streamed piece means the reply was streamed.
            browser.evaluate("window.updates = 0; new MutationObserver(records => { for (const r of records) {"
                    + " if (r.target.closest && r.target.closest('li.assistant')) window.updates++; } })"
                    + ".observe(document.getElementById('messages'), {subtree: true, childList: true, characterData: true}); true");
            browser.evaluate("document.getElementById('input').focus(); true");
            browser.insertText("臺灣最高的山是哪一座？");
            browser.pressEnter(true);
            browser.insertText("請簡單回答。");
            assertEquals("臺灣最高的山是哪一座？\n請簡單回答。", browser.evaluate("document.getElementById('input').value").asText(),
                    "Shift+Enter breaks the line without sending");
            browser.pressEnter(false);
            browser.waitFor("document.querySelector('li.assistant[data-message-id]')", Duration.ofSeconds(20));

            JsonNode reply = browser.evaluate("(() => { const li = document.querySelector('li.assistant[data-message-id]');"
                    + " const c = li.querySelector('.content'); return {text: c.textContent, children: c.childElementCount,"
                    + " id: li.dataset.messageId, scripts: document.querySelectorAll('#messages script, #messages img').length,"
                    + " updates: window.updates, input: document.getElementById('input').value}; })()");
            assertEquals(REPLY, reply.get("text").asText(), "the markup is shown as the text it is");
            assertEquals(0, reply.get("children").asInt(), "no element was made of the reply");
            assertEquals(0, reply.get("scripts").asInt());
            assertTrue(reply.get("updates").asInt() > 2, "the reply arrived in several pieces: " + reply);
            assertEquals("", reply.get("input").asText(), "Enter sent the message");

            browser.click("li.assistant .rating button.up");
            browser.waitFor("document.querySelector('li.assistant .rating .note').textContent.includes('已記錄')", Duration.ofSeconds(10));
            assertEquals("true", browser.evaluate("document.querySelector('li.assistant .rating button.up').getAttribute('aria-pressed')").asText());
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            assertEquals(1, lines.size());
            JsonNode record = TestHttp.json(lines.get(0));
            assertEquals(reply.get("id").asText(), record.get("message_id").asText());
            assertEquals("up", record.get("rating").asText());
            assertEquals("臺灣最高的山是哪一座？\n請簡單回答。", record.get("messages").get(0).get("content").asText());
            assertEquals(REPLY, record.get("messages").get(1).get("content").asText());
            assertTrue(browser.problems.isEmpty(), "the page raised " + browser.problems);
        }
    }
}
