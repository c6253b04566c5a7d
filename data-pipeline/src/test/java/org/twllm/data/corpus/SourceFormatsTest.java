package org.twllm.data.corpus;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.luben.zstd.ZstdOutputStream;
import org.apache.parquet.column.ParquetProperties.WriterVersion;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twllm.data.chat.TaiwanLlmTemplate;
import org.twllm.data.parquet.ParquetTestFiles;
import org.twllm.data.shard.ShardKind;
import org.twllm.data.shard.ShardSet;
import org.twllm.data.tokenizer.CodePointTokenizer;
import org.twllm.errors.ConfigException;

/** Parquet, zstd, folders and globs: each reads the same documents as the plain JSON Lines it stands for. */
class SourceFormatsTest {
    private static final CodePointTokenizer TOKENIZER = CodePointTokenizer.allCodePoints();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final MessageType TEXT = MessageTypeParser.parseMessageType(
            "message m { optional binary url (STRING); optional binary text (STRING); }");

    @TempDir
    Path tmp;

    private static List<JsonNode> records(Path jsonl, int limit) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(jsonl)) {
            if (!line.isBlank() && out.size() < limit) {
                out.add(JSON.readTree(line));
            }
        }
        return out;
    }

    private PrepareReport prepare(ShardKind kind, SourceSpec source, String out) {
        PrepareSettings.Builder b = PrepareSettings.builder(kind).source(source).threads(2);
        if (kind == ShardKind.SFT) {
            b.chatTemplate(new TaiwanLlmTemplate(null));
        }
        return new CorpusPreparer(TOKENIZER, b.build()).prepare(tmp.resolve(out));
    }

    private void assertSameShards(String expected, String actual) {
        ShardSet a = ShardSet.open(tmp.resolve(expected), true);
        ShardSet b = ShardSet.open(tmp.resolve(actual), true);
        assertEquals(a.numDocuments(), b.numDocuments());
        assertTrue(a.numDocuments() > 0);
        for (long d = 0; d < a.numDocuments(); d++) {
            assertArrayEquals(a.documentTokens(d), b.documentTokens(d), "document " + d);
        }
    }

    @Test
    void aParquetCorpusGivesTheShardsOfItsJsonLines() throws IOException {
        List<JsonNode> poems = records(CorpusPreparerTest.fixture("corpus/tang-poems.zh-Hant.jsonl"), 1500);
        Path jsonl = tmp.resolve("tang.jsonl");
        Files.write(jsonl, poems.stream().map(JsonNode::toString).toList());
        SimpleGroupFactory rows = ParquetTestFiles.rows(TEXT);
        List<Group> groups = new ArrayList<>();
        for (int i = 0; i < poems.size(); i++) {
            groups.add(rows.newGroup().append("url", "https://example.org/" + i).append("text", poems.get(i).get("text").asText()));
        }
        Path parquet = ParquetTestFiles.write(tmp.resolve("tang.parquet"), TEXT, CompressionCodecName.ZSTD,
                WriterVersion.PARQUET_2_0, 400, groups);
        prepare(ShardKind.CPT, SourceSpec.of(jsonl, SourceFormat.JSONL), "from-jsonl");
        PrepareReport report = prepare(ShardKind.CPT, SourceSpec.of(parquet, SourceFormat.JSONL), "from-parquet");
        assertEquals(1500, report.source("tang").recordsRead());
        assertSameShards("from-jsonl", "from-parquet");
    }

    @Test
    void parquetDialoguesInMessagesConversationsOrANamedColumnGiveTheShardsOfTheirJsonLines() throws IOException {
        Path dialogues = CorpusPreparerTest.fixture("dialogues/zh-tw-dialogues.jsonl");
        Path shareGpt = CorpusPreparerTest.fixture("dialogues/zh-tw-sharegpt.jsonl");
        prepare(ShardKind.SFT, SourceSpec.of(dialogues, SourceFormat.CHAT), "hf-jsonl");
        prepare(ShardKind.SFT, SourceSpec.of(shareGpt, SourceFormat.SHAREGPT), "sg-jsonl");

        prepare(ShardKind.SFT, SourceSpec.of(dialogueParquet(dialogues, "messages", "role", "content"), SourceFormat.CHAT), "hf-parquet");
        assertSameShards("hf-jsonl", "hf-parquet");
        prepare(ShardKind.SFT, SourceSpec.of(dialogueParquet(shareGpt, "conversations", "from", "value"), SourceFormat.SHAREGPT), "sg-parquet");
        assertSameShards("sg-jsonl", "sg-parquet");

        // The dialogue in a column of another name, read with messages_field.
        Path named = dialogueParquet(dialogues, "dialog", "role", "content");
        SourceSpec withField = new SourceSpec(named, "named", SourceFormat.CHAT, null, "dialog", 1.0);
        prepare(ShardKind.SFT, withField, "named-parquet");
        assertSameShards("hf-jsonl", "named-parquet");
        ConfigException missing = assertThrows(ConfigException.class,
                () -> prepare(ShardKind.SFT, SourceSpec.of(named, SourceFormat.CHAT), "unnamed"));
        assertTrue(missing.getMessage().contains("has no column conversations or messages (its columns: dialog)"), missing.getMessage());
    }

    /** The dialogues of a JSON Lines file as a Parquet file: a list column {@code column} of {role, content} structs. */
    private Path dialogueParquet(Path jsonl, String column, String role, String content) throws IOException {
        MessageType schema = MessageTypeParser.parseMessageType("message m { optional group " + column + " (LIST) {"
                + " repeated group list { optional group element { optional binary " + role + " (STRING);"
                + " optional binary " + content + " (STRING); } } } }");
        SimpleGroupFactory rows = ParquetTestFiles.rows(schema);
        List<Group> groups = new ArrayList<>();
        for (JsonNode r : records(jsonl, Integer.MAX_VALUE)) {
            Group g = rows.newGroup();
            Group list = g.addGroup(column);
            for (JsonNode m : r.has("messages") ? r.get("messages") : r.get("conversations")) {
                String who = m.has("role") ? m.get("role").asText() : m.get("from").asText();
                String said = m.has("content") ? m.get("content").asText() : m.get("value").asText();
                list.addGroup("list").addGroup("element").append(role, who).append(content, said);
            }
            groups.add(g);
        }
        return ParquetTestFiles.write(tmp.resolve(column + "-" + jsonl.getFileName() + ".parquet"), schema,
                CompressionCodecName.SNAPPY, WriterVersion.PARQUET_1_0, 8, groups);
    }

    @Test
    void parquetFeedbackKeepsThePositivelyRatedRowsThatNoLaterRatingReplaces() throws IOException {
        MessageType schema = MessageTypeParser.parseMessageType("message m { optional int32 rating;"
                + " optional binary conversation_id (STRING); optional binary message_id (STRING);"
                + " optional group messages (LIST) { repeated group list { optional group element {"
                + " optional binary role (STRING); optional binary content (STRING); } } } }");
        SimpleGroupFactory rows = ParquetTestFiles.rows(schema);
        List<Group> groups = new ArrayList<>();
        int[] ratings = {1, 0, -1, 1, 1};
        String[] messageIds = {"m0", "m1", "m2", "m0", "m4"}; // row 3 rates row 0's message again
        for (int i = 0; i < ratings.length; i++) {
            Group g = rows.newGroup().append("rating", ratings[i]).append("conversation_id", "c")
                    .append("message_id", messageIds[i]);
            Group list = g.addGroup("messages");
            list.addGroup("list").addGroup("element").append("role", "user").append("content", "第" + i + "題");
            list.addGroup("list").addGroup("element").append("role", "assistant").append("content", "答" + i);
            groups.add(g);
        }
        Path file = ParquetTestFiles.write(tmp.resolve("fb.parquet"), schema, CompressionCodecName.GZIP,
                WriterVersion.PARQUET_1_0, 2, groups);
        PrepareReport report = new CorpusPreparer(TOKENIZER, PrepareSettings.builder(ShardKind.SFT)
                .chatTemplate(new TaiwanLlmTemplate(null)).feedbackRule(null, null)
                .source(SourceSpec.of(file, SourceFormat.FEEDBACK)).build()).prepare(tmp.resolve("fb"));
        SourceStats s = report.source("fb");
        assertEquals(5, s.recordsRead());
        assertEquals(2, s.documentsKept());
        assertEquals(2, s.dropped(Extractors.NOT_POSITIVE));
        assertEquals(1, s.dropped(Extractors.SUPERSEDED));
    }

    @Test
    void aNullTextInParquetIsAnInvalidRecordNamingItsRow() throws IOException {
        SimpleGroupFactory rows = ParquetTestFiles.rows(TEXT);
        List<Group> groups = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            Group g = rows.newGroup();
            if (i != 7) {
                g.append("text", "文件" + i);
            }
            groups.add(g);
        }
        Path file = ParquetTestFiles.write(tmp.resolve("nulls.parquet"), TEXT, CompressionCodecName.SNAPPY,
                WriterVersion.PARQUET_1_0, 3, groups);
        ConfigException stop = assertThrows(ConfigException.class,
                () -> prepare(ShardKind.CPT, SourceSpec.of(file, SourceFormat.JSONL), "stop"));
        assertTrue(stop.getMessage().contains(file + " row 8 has no string field \"text\""), stop.getMessage());
        PrepareReport skipped = new CorpusPreparer(TOKENIZER, PrepareSettings.builder(ShardKind.CPT).skipInvalid(true)
                .source(SourceSpec.of(file, SourceFormat.JSONL)).build()).prepare(tmp.resolve("skip"));
        assertEquals(9, skipped.source("nulls").documentsKept());
        assertEquals(1, skipped.source("nulls").dropped(SourceStats.INVALID));

        ConfigException asText = assertThrows(ConfigException.class,
                () -> prepare(ShardKind.CPT, SourceSpec.of(file, SourceFormat.TEXT), "text"));
        assertTrue(asText.getMessage().contains("is Parquet, but format text reads plain text"), asText.getMessage());
    }

    @Test
    void zstdFilesWithSeveralAndSkippableFramesReadLikeTheirPlainText() throws IOException {
        String first = "{\"text\": \"甲\"}\n\n{\"text\": \"乙\"}\n";
        String second = "{\"text\": \"丙\"}\n";
        ByteArrayOutputStream frames = new ByteArrayOutputStream();
        frames.write(zstd(first));
        // A skippable frame (magic 0x184D2A50, 4-byte length), as pzstd writes before each frame.
        frames.write(new byte[] {0x50, 0x2A, 0x4D, 0x18, 3, 0, 0, 0, 'x', 'y', 'z'});
        frames.write(zstd(second));
        Path file = tmp.resolve("c.jsonl.zst");
        Files.write(file, frames.toByteArray());
        List<String> texts = new ArrayList<>();
        List<Long> lines = new ArrayList<>();
        try (SourceReader r = new SourceReader(SourceSpec.of(file, SourceFormat.JSONL))) {
            for (SourceRecord rec; (rec = r.next()) != null; ) {
                texts.add(rec.json().get("text").asText());
                lines.add(rec.line());
            }
            assertEquals(Files.size(file), r.bytesDone());
        }
        assertEquals(List.of("甲", "乙", "丙"), texts);
        assertEquals(List.of(1L, 3L, 4L), lines);
        assertEquals("c", SourceSpec.of(file, SourceFormat.JSONL).name());

        Path text = tmp.resolve("t.txt.zst");
        Files.write(text, zstd("一\n二\n\n三\n"));
        try (SourceReader r = new SourceReader(SourceSpec.of(text, SourceFormat.TEXT))) {
            assertEquals("一\n二", r.next().text());
            assertEquals("三", r.next().text());
        }
    }

    private static byte[] zstd(String text) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream z = new ZstdOutputStream(out)) {
            z.write(text.getBytes(StandardCharsets.UTF_8));
        }
        return out.toByteArray();
    }

    @Test
    void globsMatchSortedFilesAndTheFingerprintCoversEveryMatch() throws IOException {
        Path corpus = tmp.resolve("corpus");
        Files.createDirectories(corpus.resolve("b"));
        Files.createDirectories(corpus.resolve(".cache"));
        Files.writeString(corpus.resolve("tw-2.jsonl"), "{\"text\": \"二\"}\n");
        Files.writeString(corpus.resolve("tw-1.jsonl"), "{\"text\": \"一\"}\n");
        Files.writeString(corpus.resolve("en-1.jsonl"), "{\"text\": \"en\"}\n");
        Files.writeString(corpus.resolve("b/tw-3.jsonl"), "{\"text\": \"三\"}\n");
        Files.writeString(corpus.resolve(".cache/tw-9.jsonl"), "{\"text\": \"九\"}\n");
        assertEquals(List.of(corpus.resolve("tw-1.jsonl"), corpus.resolve("tw-2.jsonl")),
                SourceFiles.of(corpus.resolve("tw-*.jsonl")));
        assertEquals(List.of(corpus.resolve("b/tw-3.jsonl"), corpus.resolve("tw-1.jsonl"), corpus.resolve("tw-2.jsonl")),
                SourceFiles.of(Path.of(corpus + "/**tw-*.jsonl")));
        assertEquals(List.of(corpus.resolve("b/tw-3.jsonl")), SourceFiles.of(corpus.resolve("*/tw-?.jsonl")));

        SourceSpec glob = new SourceSpec(corpus.resolve("tw-*.jsonl"), "tw", SourceFormat.JSONL, "text", 1.0);
        PrepareReport report = prepare(ShardKind.CPT, glob, "glob");
        assertEquals(2, report.source("tw").documentsKept());
        CorpusPreparer preparer = new CorpusPreparer(TOKENIZER, PrepareSettings.builder(ShardKind.CPT).source(glob).build());
        String before = preparer.inputsFingerprint();
        Files.setLastModifiedTime(corpus.resolve("tw-2.jsonl"), FileTime.fromMillis(1_000_000));
        String touched = preparer.inputsFingerprint();
        assertNotEquals(before, touched, "a changed matched file changes the fingerprint");
        Files.writeString(corpus.resolve("tw-3.jsonl"), "{\"text\": \"新\"}\n");
        assertNotEquals(touched, preparer.inputsFingerprint(), "a newly matching file changes the fingerprint");

        ConfigException none = assertThrows(ConfigException.class, () -> SourceFiles.of(corpus.resolve("zh-*.jsonl")));
        assertTrue(none.getMessage().startsWith("glob " + corpus.resolve("zh-*.jsonl") + " matches no files"), none.getMessage());
    }
}
