package org.twllm.data.corpus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twllm.errors.ConfigException;

class SourceReaderTest {
    @TempDir
    Path tmp;

    static void gzip(Path file, String content) throws IOException {
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
            out.write(content.getBytes(StandardCharsets.UTF_8));
        }
    }

    private static List<SourceRecord> readAll(SourceSpec spec) {
        List<SourceRecord> out = new ArrayList<>();
        try (SourceReader r = new SourceReader(spec)) {
            for (SourceRecord rec; (rec = r.next()) != null; ) {
                out.add(rec);
            }
        }
        return out;
    }

    @Test
    void textFormatGivesOneDocumentPerBlankLineSeparatedBlock() throws IOException {
        Path file = tmp.resolve("a.txt");
        Files.writeString(file, "\n\n第一段\n第二行\n   \n\n第二篇\n\nlast\n");
        List<SourceRecord> recs = readAll(SourceSpec.of(file, SourceFormat.TEXT));
        assertEquals(List.of("第一段\n第二行", "第二篇", "last"), recs.stream().map(SourceRecord::text).toList());
        assertEquals(List.of(3L, 7L, 9L), recs.stream().map(SourceRecord::line).toList());
    }

    @Test
    void gzipIsReadByItsSuffixForBothFormats() throws IOException {
        Path text = tmp.resolve("b.txt.gz");
        gzip(text, "一\n\n二\n");
        assertEquals(List.of("一", "二"), readAll(SourceSpec.of(text, SourceFormat.TEXT)).stream().map(SourceRecord::text).toList());
        Path jsonl = tmp.resolve("c.jsonl.gz");
        gzip(jsonl, "{\"text\": \"甲\"}\n\n{\"text\": \"乙\"}\n");
        List<SourceRecord> recs = readAll(SourceSpec.of(jsonl, SourceFormat.JSONL));
        assertEquals(List.of("甲", "乙"), recs.stream().map(r -> r.json().get("text").asText()).toList());
        assertEquals(3L, recs.get(1).line());
        assertEquals("c", SourceSpec.of(jsonl, SourceFormat.JSONL).name());
    }

    @Test
    void malformedJsonLineNamesFileAndLineAndTheReaderGoesOn() throws IOException {
        Path file = tmp.resolve("bad.jsonl");
        Files.writeString(file, "{\"text\": \"ok\"}\n{\"text\": \n[1, 2]\n{\"text\": \"after\"}\n");
        try (SourceReader r = new SourceReader(SourceSpec.of(file, SourceFormat.JSONL))) {
            assertEquals("ok", r.next().json().get("text").asText());
            InvalidRecordException e = assertThrows(InvalidRecordException.class, r::next);
            assertTrue(e.getMessage().contains(file + ":2"), e.getMessage());
            InvalidRecordException notObject = assertThrows(InvalidRecordException.class, r::next);
            assertTrue(notObject.getMessage().contains(file + ":3 is not a JSON object"), notObject.getMessage());
            assertEquals("after", r.next().json().get("text").asText());
            assertNull(r.next());
        }
    }

    @Test
    void directorySourceReadsItsFilesByNameAndMissingPathIsAConfigError() throws IOException {
        Path dir = tmp.resolve("corpus");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("2.txt"), "二");
        Files.writeString(dir.resolve("1.txt"), "一");
        Files.writeString(dir.resolve(".hidden.txt"), "隱");
        assertEquals(List.of("一", "二"), readAll(SourceSpec.of(dir, SourceFormat.TEXT)).stream().map(SourceRecord::text).toList());
        ConfigException e = assertThrows(ConfigException.class, () -> new SourceReader(SourceSpec.of(tmp.resolve("nope.jsonl"), SourceFormat.JSONL)));
        assertTrue(e.getMessage().contains("nope.jsonl"), e.getMessage());
    }

    @Test
    void sourceFlagParsesAnOptionalWeight() {
        SourceSpec plain = SourceSpec.parseFlag("data/tang.jsonl", SourceFormat.JSONL, null, null);
        assertEquals(1.0, plain.weight());
        assertEquals("tang", plain.name());
        assertEquals("text", plain.textField());
        SourceSpec weighted = SourceSpec.parseFlag("data/tang.jsonl.gz:2.5", SourceFormat.JSONL, "content", null);
        assertEquals(2.5, weighted.weight());
        assertEquals(Path.of("data/tang.jsonl.gz"), weighted.path());
        assertEquals("content", weighted.textField());
        assertThrows(ConfigException.class, () -> SourceSpec.parseFlag("a.jsonl:0", SourceFormat.JSONL, null, null));
        assertThrows(ConfigException.class, () -> SourceSpec.parseFlag("a.jsonl:-1", SourceFormat.JSONL, null, null));
    }
}
