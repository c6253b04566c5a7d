package org.twllm.data.parquet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.parquet.column.ParquetProperties.WriterVersion;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.DelegatingSeekableInputStream;
import org.apache.parquet.io.InputFile;
import org.apache.parquet.io.SeekableInputStream;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twllm.errors.ConfigException;

class ParquetRowsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    /** 1,000 HF-style rows: every 7th text null, every 11th messages null, roles repeating (dictionary pages). */
    private static List<Group> hfRows(int n) {
        SimpleGroupFactory f = ParquetTestFiles.rows(ParquetTestFiles.HF);
        List<Group> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Group g = f.newGroup();
            if (i % 7 != 0) {
                g.append("text", "第 " + i + " 篇：台灣的文章");
            }
            if (i % 11 != 0) {
                Group list = g.addGroup("messages");
                list.addGroup("list").addGroup("element").append("role", "user").append("content", "問題 " + i);
                list.addGroup("list").addGroup("element").append("role", "assistant").append("content", "回答 " + i);
            }
            g.append("id", (long) i);
            rows.add(g);
        }
        return rows;
    }

    private static String expectedHfRow(int i) {
        String text = i % 7 != 0 ? "\"第 " + i + " 篇：台灣的文章\"" : "null";
        String messages = i % 11 != 0 ? "[{\"role\":\"user\",\"content\":\"問題 " + i + "\"},"
                + "{\"role\":\"assistant\",\"content\":\"回答 " + i + "\"}]" : "null";
        return "{\"text\":" + text + ",\"messages\":" + messages + ",\"id\":" + i + "}";
    }

    private static List<ObjectNode> readAll(ParquetRows rows) {
        List<ObjectNode> out = new ArrayList<>();
        for (ObjectNode r; (r = rows.next()) != null; ) {
            out.add(r);
        }
        return out;
    }

    @Test
    void everyCodecAndPageVersionReadsBackEveryRowInOrderAcrossRowGroups() throws IOException {
        for (CompressionCodecName codec : List.of(CompressionCodecName.SNAPPY, CompressionCodecName.ZSTD,
                CompressionCodecName.GZIP, CompressionCodecName.LZ4_RAW, CompressionCodecName.UNCOMPRESSED)) {
            for (WriterVersion pages : WriterVersion.values()) {
                Path file = ParquetTestFiles.write(tmp.resolve(codec + "-" + pages + ".parquet"), ParquetTestFiles.HF,
                        codec, pages, 150, hfRows(1000));
                try (ParquetRows rows = ParquetRows.open(file, null)) {
                    assertEquals(1000, rows.rows());
                    List<ObjectNode> all = readAll(rows);
                    assertEquals(1000, all.size(), codec + " " + pages);
                    for (int i = 0; i < all.size(); i++) {
                        assertEquals(expectedHfRow(i), all.get(i).toString(), codec + " " + pages + " row " + (i + 1));
                    }
                    assertEquals(1000, rows.row());
                    assertNull(rows.next());
                }
            }
        }
    }

    @Test
    void legacyListLayoutsPrimitiveListsAndMapsBecomeJson() throws IOException {
        MessageType schema = MessageTypeParser.parseMessageType("message m {"
                + " optional group conversations (LIST) { repeated group array { optional binary from (STRING);"
                + "   optional binary value (STRING); } }"
                + " optional group tags (LIST) { repeated group list { optional binary element (STRING); } }"
                + " repeated int32 scores;"
                + " optional group meta (MAP) { repeated group key_value { required binary key (STRING);"
                + "   optional double value; } }"
                + " optional boolean liked; optional binary raw; }");
        Group g = ParquetTestFiles.rows(schema).newGroup();
        Group conv = g.addGroup("conversations");
        conv.addGroup("array").append("from", "human").append("value", "你好");
        conv.addGroup("array").append("from", "gpt").append("value", "您好！");
        Group tags = g.addGroup("tags");
        tags.addGroup("list").append("element", "a");
        tags.addGroup("list");
        g.append("scores", 3).append("scores", 4);
        g.addGroup("meta").addGroup("key_value").append("key", "quality").append("value", 0.5);
        g.append("liked", true).append("raw", "未標註的字串");
        Path file = ParquetTestFiles.write(tmp.resolve("legacy.parquet"), schema, CompressionCodecName.SNAPPY,
                WriterVersion.PARQUET_1_0, 10, List.of(g));
        try (ParquetRows rows = ParquetRows.open(file, null)) {
            JsonNode expected = JSON.readTree("{\"conversations\":[{\"from\":\"human\",\"value\":\"你好\"},"
                    + "{\"from\":\"gpt\",\"value\":\"您好！\"}],\"tags\":[\"a\",null],\"scores\":[3,4],"
                    + "\"meta\":{\"quality\":0.5},\"liked\":true,\"raw\":\"未標註的字串\"}");
            assertEquals(expected, rows.next());
        }
    }

    @Test
    void onlyTheRequestedColumnsAreReadAndAFileWithNoneOfThemIsAConfigError() throws IOException {
        Path file = ParquetTestFiles.write(tmp.resolve("hf.parquet"), ParquetTestFiles.HF, CompressionCodecName.ZSTD,
                WriterVersion.PARQUET_1_0, 100, hfRows(20));
        try (ParquetRows rows = ParquetRows.open(file, Set.of("text", "not-there"))) {
            assertEquals(JSON.readTree("{\"text\":\"第 1 篇：台灣的文章\"}"), readAll(rows).get(1));
        }
        ConfigException none = assertThrows(ConfigException.class, () -> ParquetRows.open(file, Set.of("content")));
        assertTrue(none.getMessage().contains(file + " has no column content (its columns: id, messages, text)"), none.getMessage());
    }

    @Test
    void aFileThatIsNotParquetIsAConfigErrorNamingIt() throws IOException {
        Path file = tmp.resolve("fake.parquet");
        Files.writeString(file, "{\"text\": \"JSON, not Parquet\"}\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ParquetRows.open(file, null));
        assertTrue(e.getMessage().startsWith(file + " is not a readable Parquet file"), e.getMessage());
    }

    @Test
    void readingStreamsOneRowGroupAtATime() throws IOException {
        Path file = ParquetTestFiles.write(tmp.resolve("big.parquet"), ParquetTestFiles.HF, CompressionCodecName.UNCOMPRESSED,
                WriterVersion.PARQUET_1_0, 200, hfRows(4000));
        long size = Files.size(file);
        CountingFile counting = new CountingFile(file);
        try (ParquetRows rows = ParquetRows.open(counting, file.toString(), null)) {
            rows.next();
            // The footer and the first of 20 row groups: far less than the file.
            assertTrue(counting.bytesRead < size / 5, counting.bytesRead + " of " + size + " bytes read for the first row");
            assertEquals(4000, readAll(rows).size() + 1);
            assertTrue(counting.bytesRead >= size * 9 / 10, counting.bytesRead + " of " + size);
        }
    }

    /** Counts the bytes parquet-java reads from a file. */
    private static final class CountingFile implements InputFile {
        private final Path file;
        long bytesRead;

        CountingFile(Path file) {
            this.file = file;
        }

        @Override
        public long getLength() throws IOException {
            return Files.size(file);
        }

        @Override
        public SeekableInputStream newStream() throws IOException {
            RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r");
            InputStream counted = new InputStream() {
                @Override
                public int read() throws IOException {
                    int b = raf.read();
                    bytesRead += b < 0 ? 0 : 1;
                    return b;
                }

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    int n = raf.read(b, off, len);
                    bytesRead += Math.max(0, n);
                    return n;
                }

                @Override
                public void close() throws IOException {
                    raf.close();
                }
            };
            return new DelegatingSeekableInputStream(counted) {
                @Override
                public long getPos() throws IOException {
                    return raf.getFilePointer();
                }

                @Override
                public void seek(long newPos) throws IOException {
                    raf.seek(newPos);
                }
            };
        }
    }
}
