package org.twllm.core.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twllm.errors.ConfigException;

class TaskFileReaderTest {
    static final Path FIXTURES = Path.of(System.getProperty("twllm.fixtures"), "eval");

    @Test
    void readsEveryFixtureKind() {
        List<EvalExamples.Qa> qa = TaskFileReader.readQa(FIXTURES.resolve("qa.jsonl"));
        assertEquals(3, qa.size());
        assertEquals(List.of("信義區", "臺北市信義區"), qa.get(0).answers());
        // TC-Eval's field names are aliases.
        assertTrue(qa.get(2).context().startsWith("阿里山"));
        assertEquals(List.of("1912年", "1912"), qa.get(2).answers());

        List<EvalExamples.MultipleChoice> mc = TaskFileReader.readMultipleChoice(FIXTURES.resolve("mc.jsonl"));
        assertEquals("A", mc.get(0).answer());
        assertEquals(List.of("A", "B", "C", "D"), mc.get(0).letters());
        assertEquals("C", mc.get(1).answer());
        assertEquals("高雄", mc.get(1).options().get(2));
        assertEquals(2, mc.get(2).options().size());

        assertEquals(2, TaskFileReader.readSummarization(FIXTURES.resolve("summarization.jsonl")).size());
        List<EvalExamples.Text> texts = TaskFileReader.readText(FIXTURES.resolve("perplexity.jsonl"));
        assertEquals("3", texts.get(2).id());
    }

    @Test
    void badRecordsNameFileLineAndField(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("bad.jsonl");
        Files.writeString(file, "{\"question\": \"q\", \"answers\": [\"a\"]}\n\n{\"question\": \"q\"}\n");
        ConfigException e = assertThrows(ConfigException.class, () -> TaskFileReader.readQa(file));
        assertTrue(e.getMessage().contains("bad.jsonl:3") && e.getMessage().contains("'answers'"), e.getMessage());

        Files.writeString(file, "{\"question\": \"q\", \"choices\": [\"x\", \"y\"], \"answer\": \"C\"}\n");
        e = assertThrows(ConfigException.class, () -> TaskFileReader.readMultipleChoice(file));
        assertTrue(e.getMessage().contains("bad.jsonl:1") && e.getMessage().contains("'C'"), e.getMessage());

        Files.writeString(file, "not json\n");
        e = assertThrows(ConfigException.class, () -> TaskFileReader.readText(file));
        assertTrue(e.getMessage().contains("bad.jsonl:1: not a JSON object"), e.getMessage());

        e = assertThrows(ConfigException.class, () -> TaskFileReader.readText(dir.resolve("missing.jsonl")));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    }
}
