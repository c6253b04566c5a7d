package org.twllm.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twllm.errors.ConfigException;

/** The one JSONL reader's policy: blank lines skipped, a torn last line ignored, any other bad line an error. */
class JsonLinesTest {
    @TempDir
    Path dir;

    private Path file(String content) throws IOException {
        return Files.write(dir.resolve("log.jsonl"), content.getBytes(StandardCharsets.UTF_8));
    }

    /** "number:value of a" of every record. */
    private static List<String> records(Path file) {
        return JsonLines.read(file, line -> line.number() + ":" + line.object().path("a").asText());
    }

    @Test
    void readsRecordsInOrderWithTheirLineNumbers() throws IOException {
        assertEquals(List.of("1:x", "3:臺北", "5:z"), records(file("{\"a\":\"x\"}\n\n{\"a\":\"臺北\"}\r\n  \n{\"a\":\"z\"}\n")));
        assertEquals(List.of("1:x", "2:y"), records(file("{\"a\":\"x\"}\n{\"a\":\"y\"}")), "a last line without newline is read");
        assertEquals(List.of(), records(file("")));
        JsonLines.Line line = JsonLines.read(file("{\"a\":1}\n"), l -> l).get(0);
        assertEquals(dir.resolve("log.jsonl") + ":1", line.where());
    }

    @Test
    void aLastLineCutShortByACrashIsIgnored() throws IOException {
        assertEquals(List.of("1:x", "2:y"), records(file("{\"a\":\"x\"}\n{\"a\":\"y\"}\n{\"step\":3,\"lo")));
        // Cut inside a multi-byte character: still one torn line, not a decoding error.
        byte[] whole = "{\"a\":\"x\"}\n{\"a\":\"臺北\"}\n".getBytes(StandardCharsets.UTF_8);
        Path cut = Files.write(dir.resolve("cut.jsonl"), Arrays.copyOf(whole, whole.length - 5));
        assertEquals(List.of("1:x"), records(cut));
    }

    @Test
    void anyOtherBadLineIsAnErrorNamingFileAndLine() throws IOException {
        List<String> before = new ArrayList<>();
        Path middle = file("{\"a\":\"x\"}\n{\"a\":\n{\"a\":\"z\"}\n");
        ConfigException e = assertThrows(ConfigException.class,
                () -> JsonLines.forEach(middle, l -> before.add(l.object().path("a").asText())));
        assertTrue(e.getMessage().startsWith(middle + ":2: not a JSON object"), e.getMessage());
        assertEquals(List.of("x"), before, "the records before the bad line were handed over");

        // A complete last line (ended by a newline) that does not parse was written that way: an error.
        e = assertThrows(ConfigException.class, () -> records(file("{\"a\":\"x\"}\n{\"a\":\n")));
        assertTrue(e.getMessage().contains(":2: not a JSON object"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> records(file("[1, 2]\n{\"a\":\"x\"}\n")));
        assertTrue(e.getMessage().contains(":1: not a JSON object (it is a JSON array)"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> records(file("{\"a\":1} {\"a\":2}\n{\"a\":3}\n")));
        assertTrue(e.getMessage().contains(":1: not a JSON object"), e.getMessage());
        byte[] badUtf8 = {'{', '"', 'a', '"', ':', '"', (byte) 0xE8, (byte) 0x41, '"', '}', '\n', '{', '}', '\n'};
        Path invalid = Files.write(dir.resolve("bad-utf8.jsonl"), badUtf8);
        e = assertThrows(ConfigException.class, () -> records(invalid));
        assertTrue(e.getMessage().contains(":1: not a JSON object"), e.getMessage());

        e = assertThrows(ConfigException.class, () -> records(dir.resolve("missing.jsonl")));
        assertTrue(e.getMessage().contains("cannot read " + dir.resolve("missing.jsonl")), e.getMessage());
    }
}
