package org.twllm.cli.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.twllm.cli.CliRun;
import org.twllm.cli.Main;

/** {@code twllm data encode} through {@link Main#run}, with stdin and stdout redirected. */
class DataEncodeCommandTest {
    private static final Path DIR = Path.of(System.getProperty("twllm.fixtures", "../src-test-fixtures"), "tokenizer");
    private static final String MODEL = DIR.resolve("zh-tw-bpe-8k.model").toString();
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void encodesEveryReferenceTextAndDecodesItBack() throws IOException {
        List<String> reference = Files.readAllLines(DIR.resolve("zh-tw-bpe-8k.encodings.jsonl"), StandardCharsets.UTF_8);
        StringBuilder texts = new StringBuilder();
        List<JsonNode> expected = new ArrayList<>();
        for (String line : reference) {
            JsonNode node = JSON.readTree(line);
            expected.add(node);
            texts.append(JSON.writeValueAsString(JSON.createObjectNode().put("text", node.get("text").textValue()))).append('\n');
        }
        CliRun encoded = CliRun.withInput(texts + "\n", "data", "encode", "--tokenizer", MODEL);
        assertEquals(0, encoded.code(), encoded.err());
        String[] lines = encoded.out().split("\n");
        assertEquals(expected.size(), lines.length, "one output line per non-blank input line");
        for (int i = 0; i < lines.length; i++) {
            assertEquals(expected.get(i).get("ids"), JSON.readTree(lines[i]).get("ids"), "line " + (i + 1));
        }

        CliRun decoded = CliRun.withInput(encoded.out(), "data", "encode", "--tokenizer", MODEL, "--decode");
        assertEquals(0, decoded.code(), decoded.err());
        String[] textLines = decoded.out().split("\n");
        for (int i = 0; i < textLines.length; i++) {
            assertEquals(expected.get(i).get("text").textValue(), JSON.readTree(textLines[i]).get("text").textValue());
        }
    }

    @Test
    void bosAndEosFrameEachEncoding() throws IOException {
        CliRun plain = CliRun.withInput("{\"text\": \"台灣\"}\n{\"text\": \"\"}\n", "data", "encode", "--tokenizer", MODEL);
        CliRun framed = CliRun.withInput("{\"text\": \"台灣\"}\n{\"text\": \"\"}\n", "data", "encode", "--tokenizer", MODEL, "--bos", "--eos");
        assertEquals(0, framed.code(), framed.err());
        String[] plainLines = plain.out().split("\n");
        String[] framedLines = framed.out().split("\n");
        JsonNode ids = JSON.readTree(plainLines[0]).get("ids");
        JsonNode framedIds = JSON.readTree(framedLines[0]).get("ids");
        assertEquals(ids.size() + 2, framedIds.size());
        assertEquals(1, framedIds.get(0).intValue());
        assertEquals(2, framedIds.get(framedIds.size() - 1).intValue());
        assertEquals("{\"ids\": []}", plainLines[1]);
        assertEquals("{\"ids\": [1, 2]}", framedLines[1]);
    }

    @Test
    void badInputIsAUsageErrorNamingTheLine() {
        CliRun notJson = CliRun.withInput("{\"text\": \"ok\"}\nnot json\n", "data", "encode", "--tokenizer", MODEL);
        assertEquals(Main.EXIT_USAGE, notJson.code());
        assertTrue(notJson.err().contains("stdin line 2 is not JSON"), notJson.err());

        CliRun noText = CliRun.withInput("{\"body\": \"x\"}\n", "data", "encode", "--tokenizer", MODEL);
        assertEquals(Main.EXIT_USAGE, noText.code());
        assertTrue(noText.err().contains("stdin line 1 has no string field \"text\""), noText.err());

        CliRun badId = CliRun.withInput("{\"ids\": [5, 8000]}\n", "data", "encode", "--tokenizer", MODEL, "--decode");
        assertEquals(Main.EXIT_USAGE, badId.code());
        assertTrue(badId.err().contains("8000 is not a token id"), badId.err());

        CliRun missingModel = CliRun.withInput("", "data", "encode", "--tokenizer", "no-such.model");
        assertEquals(Main.EXIT_USAGE, missingModel.code());
        assertTrue(missingModel.err().contains("no-such.model does not exist"), missingModel.err());
    }
}
