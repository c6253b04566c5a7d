package org.twllm.data.feedback;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twllm.data.chat.Dialogue;
import org.twllm.data.chat.Message;
import org.twllm.data.chat.Role;
import org.twllm.data.corpus.ExtractedFeedback;
import org.twllm.data.corpus.Extractors;
import org.twllm.errors.ConfigException;

/** The feedback log writer: lines the feedback extractor takes as they are, one writer, torn lines set aside. */
class FeedbackLogTest {
    @TempDir
    Path dir;

    private static FeedbackRecord rating(String conversation, String message, boolean up, String reply) {
        Dialogue dialogue = new Dialogue(List.of(new Message(Role.SYSTEM, "你是助理。"), new Message(Role.USER, "玉山多高？"),
                new Message(Role.ASSISTANT, reply)));
        return new FeedbackRecord(conversation, message, up, up ? null : "數字不對\n請查證", dialogue, "tiny", "taiwan-llm",
                Instant.parse("2024-05-01T08:00:00Z"));
    }

    @Test
    void appendedRatingsAreReadByTheFeedbackExtractorAndTheLastRatingOfAMessageWins() throws Exception {
        Path file = dir.resolve("logs/feedback.jsonl");
        try (FeedbackLog log = FeedbackLog.open(file)) {
            log.append(rating("c1", "m1", false, "3952 公尺。"));
            log.append(rating("c1", "m1", true, "3952 公尺。"));   // the user changed their mind: up wins
            log.append(rating("c2", "m2", true, "大約四千公尺。"));
            log.append(rating("c2", "m2", false, "大約四千公尺。")); // and here down wins
            log.append(rating("c3", "m3", true, "海拔 3,952 公尺。"));
        }
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        assertEquals(5, lines.size());
        assertTrue(lines.get(0).startsWith("{\"conversation_id\":\"c1\",\"message_id\":\"m1\",\"rating\":\"down\",\"comment\":\"數字不對\\n請查證\","
                + "\"messages\":[{\"role\":\"system\",\"content\":\"你是助理。\"}"), lines.get(0));
        ExtractedFeedback read = ExtractedFeedback.read(file, new FeedbackRule(null, 1.0));
        assertEquals(List.of("3952 公尺。", "海拔 3,952 公尺。"), read.kept().stream().map(d -> d.messages().get(2).content()).toList());
        assertEquals(Map.of(Extractors.SUPERSEDED, 2, Extractors.NOT_POSITIVE, 1), read.dropped());
    }

    @Test
    void oneWriterAtATimeAndAReopenedLogAppends() {
        Path file = dir.resolve("feedback.jsonl");
        try (FeedbackLog log = FeedbackLog.open(file)) {
            log.append(rating("c1", "m1", true, "是。"));
            ConfigException busy = assertThrows(ConfigException.class, () -> FeedbackLog.open(file));
            assertTrue(busy.getMessage().contains("in use by another twllm serve"), busy.getMessage());
        }
        try (FeedbackLog log = FeedbackLog.open(file)) {
            assertNull(log.setAside());
            log.append(rating("c2", "m2", true, "對。"));
        }
        assertEquals(2, ExtractedFeedback.read(file, new FeedbackRule(null, null)).kept().size());
    }

    @Test
    void aLineLeftHalfWrittenByACrashIsSetAsideAtOpen() throws Exception {
        Path file = dir.resolve("feedback.jsonl");
        try (FeedbackLog log = FeedbackLog.open(file)) {
            log.append(rating("c1", "m1", true, "是。"));
        }
        String whole = Files.readString(file, StandardCharsets.UTF_8);
        String torn = "{\"conversation_id\":\"c2\",\"message_id\":\"m2\",\"rating\":\"up\",\"messa";
        Files.writeString(file, whole + torn, StandardCharsets.UTF_8);
        try (FeedbackLog log = FeedbackLog.open(file)) {
            assertEquals(torn, Files.readString(log.setAside(), StandardCharsets.UTF_8));
            assertEquals(whole, Files.readString(file, StandardCharsets.UTF_8));
            log.append(rating("c3", "m3", true, "好。"));
        }
        assertEquals(2, ExtractedFeedback.read(file, new FeedbackRule(null, null)).kept().size());
    }

    @Test
    void aLogThatCannotBeCreatedIsAConfigError() throws Exception {
        Path blocker = dir.resolve("file");
        Files.writeString(blocker, "x");
        ConfigException e = assertThrows(ConfigException.class, () -> FeedbackLog.open(blocker.resolve("feedback.jsonl")));
        assertTrue(e.getMessage().contains("cannot open the feedback log"), e.getMessage());
    }
}
