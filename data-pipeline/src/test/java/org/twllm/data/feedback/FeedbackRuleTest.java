package org.twllm.data.feedback;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twllm.data.chat.TaiwanLlmTemplate;
import org.twllm.data.corpus.DocumentExtractor;
import org.twllm.data.corpus.Extractors;
import org.twllm.data.corpus.InvalidRecordException;
import org.twllm.data.corpus.SourceFormat;
import org.twllm.data.corpus.SourceRecord;
import org.twllm.data.corpus.SourceSpec;
import org.twllm.errors.ConfigException;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Feedback ratings: which records count as positive, and what the feedback source format does with them. */
class FeedbackRuleTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CONVERSATION =
            "\"messages\":[{\"role\":\"user\",\"content\":\"玉山多高？\"},{\"role\":\"assistant\",\"content\":\"3952 公尺。\"}]";

    @Test
    void thumbsSignsAndBooleans() {
        FeedbackRule rule = new FeedbackRule(null, null);
        assertEquals(Rating.POSITIVE, rule.rate(record("\"rating\":\"up\""), "r"));
        assertEquals(Rating.POSITIVE, rule.rate(record("\"rating\":\"Thumbs_Up\""), "r"));
        assertEquals(Rating.NEGATIVE, rule.rate(record("\"rating\":\"down\""), "r"));
        assertEquals(Rating.POSITIVE, rule.rate(record("\"rating\":1"), "r"));
        assertEquals(Rating.NEUTRAL, rule.rate(record("\"rating\":0"), "r"));
        assertEquals(Rating.NEGATIVE, rule.rate(record("\"rating\":-1"), "r"));
        assertEquals(Rating.POSITIVE, rule.rate(record("\"rating\":true"), "r"));
        assertEquals(Rating.NEGATIVE, rule.rate(record("\"rating\":false"), "r"));
        assertProblem(rule, "\"rating\":\"maybe\"", "\"maybe\"");
        assertProblem(rule, "\"rating\":2", "score threshold");
        assertProblem(rule, "\"rating\":0.5", "score threshold");
        assertProblem(rule, "\"score\":1", "no \"rating\" field");
    }

    @Test
    void scoresWithAThresholdAndAConfiguredFieldName() {
        FeedbackRule rule = new FeedbackRule("score", 4.0);
        assertEquals(Rating.POSITIVE, rule.rate(record("\"score\":4"), "r"));
        assertEquals(Rating.POSITIVE, rule.rate(record("\"score\":4.5"), "r"));
        assertEquals(Rating.NEGATIVE, rule.rate(record("\"score\":3.99"), "r"));
        assertEquals(Rating.POSITIVE, rule.rate(record("\"score\":\"up\""), "r"), "thumbs still read as thumbs");
        assertEquals(Rating.NEGATIVE, rule.rate(record("\"score\":false"), "r"));
        assertProblem(rule, "\"score\":\"great\"", "\"great\"");
        assertProblem(rule, "\"score\":[4]", "expected");
        assertProblem(rule, "\"rating\":5", "no \"score\" field");
        assertThrows(ConfigException.class, () -> new FeedbackRule("score", Double.NaN));
    }

    /** The feedback format's extractor (the one path feedback logs take, in data prepare and training). */
    @Test
    void onlyPositiveRecordsAreParsedAsConversations(@TempDir Path dir) throws Exception {
        // A malformed conversation rated down is dropped without complaint; rated up it is an error naming the line.
        String up = "{" + CONVERSATION + ",\"rating\":\"up\"}";
        String brokenDown = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"rating\":\"down\"}";
        String brokenUp = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"rating\":\"up\"}";
        Path log = dir.resolve("log.jsonl");
        Files.writeString(log, String.join("\n", up, "", brokenDown, brokenUp) + "\n");
        // The extractor reads the log once when made (which records a later rating supersedes: none here).
        DocumentExtractor extractor = Extractors.forSource(SourceSpec.of(log, SourceFormat.FEEDBACK),
                new TaiwanLlmTemplate(null), new FeedbackRule(null, null));
        assertNotNull(extractor.extract(new SourceRecord(log.toString(), 1, parse(up), null)).document());
        assertEquals(Extractors.NOT_POSITIVE, extractor.extract(new SourceRecord(log.toString(), 3, parse(brokenDown), null)).dropReason());
        InvalidRecordException e = assertThrows(InvalidRecordException.class,
                () -> extractor.extract(new SourceRecord(log.toString(), 4, parse(brokenUp), null)));
        assertTrue(e.getMessage().contains("log.jsonl:4"), e.getMessage());
    }

    private static void assertProblem(FeedbackRule rule, String fields, String expected) {
        ConfigException e = assertThrows(ConfigException.class, () -> rule.rate(record(fields), "log.jsonl line 3"));
        assertTrue(e.getMessage().contains("log.jsonl line 3") && e.getMessage().contains(expected), e.getMessage());
    }

    private static JsonNode record(String ratingFields) {
        return parse("{" + CONVERSATION + "," + ratingFields + "}");
    }

    private static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }
}
