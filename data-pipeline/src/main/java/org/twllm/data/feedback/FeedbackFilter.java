package org.twllm.data.feedback;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.twllm.data.chat.Dialogue;
import org.twllm.data.chat.DialogueParser;
import org.twllm.data.chat.Message;
import org.twllm.errors.ConfigException;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * Keeps the positively rated conversations of a feedback log, each once. A record is a conversation in
 * {@code messages} or ShareGPT {@code conversations} form plus a rating (see {@link FeedbackRule}).
 * Negative and neutral records are counted and dropped without parsing their conversation (a
 * thumbs-down log may well be malformed); a positive conversation whose messages (roles and exact
 * content, SHA-256) equal one already kept is counted as a duplicate and dropped.
 */
public final class FeedbackFilter {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final FeedbackRule rule;
    private final Set<ContentHash> seen = new HashSet<>();
    private long records;
    private long kept;
    private long negative;
    private long neutral;
    private long duplicates;
    private long superseded;

    public FeedbackFilter(FeedbackRule rule) {
        this.rule = rule;
    }

    /** The conversation of {@code record} if it is positive and new; {@code where} names it in errors. */
    public Optional<Dialogue> accept(JsonNode record, String where) {
        records++;
        if (record == null || !record.isObject()) {
            throw new ConfigException("Feedback record " + where + " is not a JSON object.");
        }
        Rating rating = rule.rate(record, where);
        if (rating == Rating.NEGATIVE) {
            negative++;
            return Optional.empty();
        }
        if (rating == Rating.NEUTRAL) {
            neutral++;
            return Optional.empty();
        }
        Dialogue dialogue = DialogueParser.parse(record, where);
        if (!seen.add(ContentHash.of(dialogue))) {
            duplicates++;
            return Optional.empty();
        }
        kept++;
        return Optional.of(dialogue);
    }

    /**
     * Every kept conversation of a JSONL log (blank lines skipped), in file order. Of several ratings of
     * one message only the last counts ({@link LatestRatings}); the earlier ones are counted as superseded.
     */
    public List<Dialogue> readJsonl(Path file) {
        LatestRatings latest = new LatestRatings();
        forEachRecord(file, latest::see);
        List<Dialogue> dialogues = new ArrayList<>();
        forEachRecord(file, (record, where) -> {
            if (latest.isSuperseded(record, where)) {
                records++;
                superseded++;
            } else {
                accept(record, where).ifPresent(dialogues::add);
            }
        });
        return dialogues;
    }

    private static void forEachRecord(Path file, BiConsumer<JsonNode, String> action) {
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int lineNumber = 0;
            while ((line = reader.readLine()) != null) {
                lineNumber++;
                if (line.isBlank()) {
                    continue;
                }
                String where = file + " line " + lineNumber;
                JsonNode record;
                try {
                    record = JSON.readTree(line);
                } catch (JsonProcessingException e) {
                    throw new ConfigException("Feedback record " + where + " is not valid JSON (" + e.getOriginalMessage() + ").");
                }
                action.accept(record, where);
            }
        } catch (IOException e) {
            throw new ConfigException("Cannot read the feedback log " + file + ": " + e.getMessage()
                    + "; check that the file exists and is readable.");
        }
    }

    public FeedbackCounts counts() {
        return new FeedbackCounts(records, kept, negative, neutral, duplicates, superseded);
    }

    /** The first 128 bits of SHA-256 over the messages' roles and contents. */
    private record ContentHash(long high, long low) {
        static ContentHash of(Dialogue dialogue) {
            MessageDigest sha;
            try {
                sha = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("every JVM has SHA-256", e);
            }
            for (Message message : dialogue.messages()) {
                sha.update((byte) message.role().ordinal());
                byte[] content = message.content().getBytes(StandardCharsets.UTF_8);
                sha.update(ByteBuffer.allocate(4).putInt(content.length).array());
                sha.update(content);
            }
            ByteBuffer digest = ByteBuffer.wrap(sha.digest());
            return new ContentHash(digest.getLong(), digest.getLong());
        }
    }
}
