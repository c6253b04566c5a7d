package org.twllm.data.corpus;

import java.util.Set;
import java.util.TreeSet;

import com.fasterxml.jackson.databind.JsonNode;
import org.twllm.data.chat.ChatTemplate;
import org.twllm.data.chat.Dialogue;
import org.twllm.data.chat.DialogueParser;
import org.twllm.data.feedback.FeedbackRecord;
import org.twllm.data.feedback.FeedbackRule;
import org.twllm.data.feedback.LatestRatings;
import org.twllm.data.feedback.Rating;
import org.twllm.errors.ConfigException;

/** The {@link DocumentExtractor} of each {@link SourceFormat}. */
public final class Extractors {
    /** Drop reason of feedback records rated negative or neutral. */
    public static final String NOT_POSITIVE = "not positive";
    /** Drop reason of feedback records that a later rating of the same message replaces. */
    public static final String SUPERSEDED = "superseded";

    private Extractors() {
    }

    /**
     * The extractor for {@code source}.
     *
     * @param template chat template rendering dialogues (chat, sharegpt and feedback formats)
     * @param rule     rating rule of feedback records (feedback format); of several ratings of one message
     *                 only the last counts (see {@link LatestRatings}), so a feedback source is read twice
     */
    public static DocumentExtractor forSource(SourceSpec source, ChatTemplate template, FeedbackRule rule) {
        String messages = source.messagesField();
        return switch (source.format()) {
            case TEXT -> record -> DocumentExtractor.Extracted.of(new TextDocument(record.text()));
            case JSONL -> textField(source.textField());
            case CHAT, SHAREGPT -> {
                requireTemplate(source, template);
                yield record -> DocumentExtractor.Extracted.of(DialogueDocument.of(dialogue(record, messages), template));
            }
            case FEEDBACK -> {
                requireTemplate(source, template);
                if (rule == null) {
                    throw new ConfigException("source " + source.path() + " is feedback but no feedback rating rule was given");
                }
                LatestRatings latest = latestRatings(source, rule);
                yield record -> {
                    if (latest.isSuperseded(record.json(), record.where())) {
                        return DocumentExtractor.Extracted.dropped(SUPERSEDED);
                    }
                    Rating rating;
                    try {
                        rating = rule.rate(record.json(), record.where());
                    } catch (ConfigException e) {
                        throw new InvalidRecordException(e.getMessage());
                    }
                    return rating == Rating.POSITIVE
                            ? DocumentExtractor.Extracted.of(DialogueDocument.of(dialogue(record, messages), template))
                            : DocumentExtractor.Extracted.dropped(NOT_POSITIVE);
                };
            }
        };
    }

    /** JSON Lines documents whose text is the string in {@code field}. */
    public static DocumentExtractor textField(String field) {
        return record -> {
            JsonNode v = record.json().get(field);
            if (v == null || !v.isTextual()) {
                throw new InvalidRecordException(record.where() + " has no string field \"" + field
                        + "\" (set the text field with --text-field)");
            }
            return DocumentExtractor.Extracted.of(new TextDocument(v.asText()));
        };
    }

    /**
     * The top-level fields the format's extractor reads, so Parquet files need only those columns: the text
     * field; the messages field (or {@code messages} and {@code conversations}); for feedback also the
     * rating field and the ids that tell which rating of a message is its latest. Null (every column) for
     * the text format.
     */
    public static Set<String> columnsRead(SourceSpec source, FeedbackRule rule) {
        Set<String> dialogue = source.messagesField() != null ? Set.of(source.messagesField())
                : Set.of("messages", "conversations");
        return switch (source.format()) {
            case TEXT -> null;
            case JSONL -> Set.of(source.textField());
            case CHAT, SHAREGPT -> dialogue;
            case FEEDBACK -> {
                Set<String> all = new TreeSet<>(dialogue);
                all.add(rule.ratingField());
                all.add(FeedbackRecord.CONVERSATION_ID);
                all.add(FeedbackRecord.MESSAGE_ID);
                yield all;
            }
        };
    }

    /** A first pass over a feedback source noting each rated message's latest record (unreadable lines are left to the main pass). */
    private static LatestRatings latestRatings(SourceSpec source, FeedbackRule rule) {
        LatestRatings latest = new LatestRatings();
        try (SourceReader reader = new SourceReader(source, columnsRead(source, rule))) {
            while (true) {
                SourceRecord record;
                try {
                    record = reader.next();
                } catch (InvalidRecordException malformed) {
                    continue;
                }
                if (record == null) {
                    return latest;
                }
                latest.see(record.json(), record.where());
            }
        }
    }

    private static Dialogue dialogue(SourceRecord record, String messagesField) {
        try {
            return DialogueParser.parse(record.json(), messagesField, record.where());
        } catch (ConfigException e) {
            throw new InvalidRecordException(e.getMessage());
        }
    }

    private static void requireTemplate(SourceSpec source, ChatTemplate template) {
        if (template == null) {
            throw new ConfigException("source " + source.path() + " holds dialogues (format " + source.format().id()
                    + ") but no chat template was given: set the chat template (taiwan-llm, llama-2-chat or custom)");
        }
    }
}
