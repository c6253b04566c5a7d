package org.twllm.data.feedback;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.twllm.data.chat.Dialogue;
import org.twllm.data.chat.TestTokenizers;
import org.twllm.errors.ConfigException;

import java.util.HashSet;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FeedbackFilterTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CONVERSATION =
            "\"messages\":[{\"role\":\"user\",\"content\":\"玉山多高？\"},{\"role\":\"assistant\",\"content\":\"3952 公尺。\"}]";

    @Test
    void fixtureLogKeepsOnlyDistinctPositiveConversations() {
        FeedbackFilter filter = new FeedbackFilter(new FeedbackRule(null, null));
        List<Dialogue> kept = filter.readJsonl(TestTokenizers.fixture("feedback/zh-tw-feedback.jsonl"));
        assertEquals(new FeedbackCounts(44, 25, 12, 4, 3, 0), filter.counts());
        assertEquals(25, kept.size());

        // The tiny feedback-sft config's rule: numbers at least 1 are positive, so 0 counts as negative.
        FeedbackFilter thresholded = new FeedbackFilter(new FeedbackRule("rating", 1.0));
        assertEquals(kept, thresholded.readJsonl(TestTokenizers.fixture("feedback/zh-tw-feedback.jsonl")));
        assertEquals(new FeedbackCounts(44, 25, 16, 0, 3, 0), thresholded.counts());
        assertEquals(25, new HashSet<>(kept).size(), "no duplicates kept");
        // A thumbs-down answer in Simplified characters is among the dropped ones.
        assertTrue(kept.stream().noneMatch(d -> d.messages().get(1).content().contains("阳明山")));
        // The ShareGPT-form record rated true is kept, the one rated false is not.
        assertTrue(kept.stream().anyMatch(d -> d.messages().get(1).content().startsWith("九份在新北市")));
        assertTrue(kept.stream().noneMatch(d -> d.messages().get(1).content().equals("九份在台中。")));
    }

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

    @Test
    void duplicatesAreCountedAndNegativeRecordsAreNotParsed() {
        FeedbackFilter filter = new FeedbackFilter(new FeedbackRule(null, null));
        Optional<Dialogue> first = filter.accept(record("\"rating\":\"up\""), "line 1");
        assertTrue(first.isPresent());
        assertTrue(filter.accept(record("\"rating\":1"), "line 2").isEmpty());
        // A malformed conversation rated down is dropped without complaint; rated up it is an error.
        JsonNode brokenDown = parse("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"rating\":\"down\"}");
        assertTrue(filter.accept(brokenDown, "line 3").isEmpty());
        JsonNode brokenUp = parse("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"rating\":\"up\"}");
        assertTrue(assertThrows(ConfigException.class, () -> filter.accept(brokenUp, "line 4")).getMessage().contains("line 4"));
        assertEquals(new FeedbackCounts(4, 1, 1, 0, 1, 0), filter.counts());
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
