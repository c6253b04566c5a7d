package org.twllm.data.chat;

import org.junit.jupiter.api.Test;
import org.twllm.errors.ConfigException;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DialogueParserTest {
    @Test
    void readsTheMessagesFixture() {
        List<Dialogue> dialogues = DialogueParser.readJsonl(TestTokenizers.fixture("dialogues/zh-tw-dialogues.jsonl"));
        assertTrue(dialogues.size() >= 30, "fixture has 30+ dialogues");
        assertTrue(dialogues.stream().anyMatch(d -> d.system().isPresent()));
        assertTrue(dialogues.stream().anyMatch(d -> d.turns().size() >= 4), "some are multi-turn");
        Dialogue first = dialogues.get(0);
        assertEquals(Role.USER, first.messages().get(0).role());
        assertEquals("請問從台北車站到淡水要怎麼搭捷運？", first.messages().get(0).content());
    }

    @Test
    void readsShareGptFromHumanGptAndSystem() {
        List<Dialogue> dialogues = DialogueParser.readJsonl(TestTokenizers.fixture("dialogues/zh-tw-sharegpt.jsonl"));
        assertEquals(10, dialogues.size());
        Dialogue first = dialogues.get(0);
        assertEquals("你是一位熟悉台灣交通的助理。", first.system().orElseThrow());
        assertEquals(List.of(Role.USER, Role.ASSISTANT, Role.USER, Role.ASSISTANT),
                first.turns().stream().map(Message::role).toList());
        assertEquals("從高雄到墾丁要怎麼去？", first.turns().get(0).content());

        Dialogue same = DialogueParser.parseLine("{\"messages\":[{\"role\":\"system\",\"content\":\"你是一位熟悉台灣交通的助理。\"},"
                + "{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"assistant\",\"content\":\"b\"}]}", "t");
        Dialogue shareGpt = DialogueParser.parseLine("{\"conversations\":[{\"from\":\"system\",\"value\":\"你是一位熟悉台灣交通的助理。\"},"
                + "{\"from\":\"human\",\"value\":\"a\"},{\"from\":\"gpt\",\"value\":\"b\"}]}", "t");
        assertEquals(same, shareGpt);
    }

    @Test
    void badRecordsGetOneClearErrorNamingTheRecord() {
        assertProblem("{\"messages\":[{\"role\":\"bot\",\"content\":\"x\"}]}", "unknown role \"bot\"");
        assertProblem("{\"conversations\":[{\"from\":\"robot\",\"value\":\"x\"}]}", "unknown from \"robot\"");
        assertProblem("{\"messages\":[]}", "no messages");
        assertProblem("{\"messages\":[{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"user\",\"content\":\"b\"}]}",
                "must alternate");
        assertProblem("{\"messages\":[{\"role\":\"assistant\",\"content\":\"a\"}]}", "user was expected");
        assertProblem("{\"messages\":[{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"assistant\",\"content\":\"  \"}]}",
                "(assistant) is empty");
        assertProblem("{\"messages\":[{\"role\":\"user\",\"content\":\"a\"}]}", "ends with a user message");
        assertProblem("{\"messages\":[{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"assistant\",\"content\":\"b\"},"
                + "{\"role\":\"system\",\"content\":\"c\"}]}", "only the first message");
        assertProblem("{\"text\":\"hello\"}", "neither \"messages\"");
        assertProblem("{\"messages\":[{\"role\":\"user\"}]}", "without a text \"content\"");
        assertProblem("{\"messages\":[", "not valid JSON");
    }

    private static void assertProblem(String line, String expected) {
        ConfigException e = assertThrows(ConfigException.class, () -> DialogueParser.parseLine(line, "chat.jsonl line 7"));
        assertTrue(e.getMessage().contains("chat.jsonl line 7"), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
