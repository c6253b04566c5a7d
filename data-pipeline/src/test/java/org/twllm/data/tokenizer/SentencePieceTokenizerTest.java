package org.twllm.data.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.twllm.errors.ConfigException;

/**
 * Parity with SentencePiece 0.1.97 on reference files it produced (see src-test-fixtures/tokenizer/make_reference.py):
 * every encoding and every decoding must match exactly.
 */
class SentencePieceTokenizerTest {
    private static final Path DIR = Path.of(System.getProperty("twllm.fixtures", "../src-test-fixtures"), "tokenizer");
    private static final ObjectMapper JSON = new ObjectMapper();

    private static final Map<String, SentencePieceTokenizer> LOADED = new ConcurrentHashMap<>();

    private static SentencePieceTokenizer load(String name) {
        return LOADED.computeIfAbsent(name, n -> SentencePieceTokenizer.load(DIR.resolve(n + ".model")));
    }

    private static List<JsonNode> lines(String file) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(DIR.resolve(file), StandardCharsets.UTF_8)) {
            out.add(JSON.readTree(line));
        }
        return out;
    }

    private static int[] ids(JsonNode node) {
        int[] ids = new int[node.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = node.get(i).intValue();
        }
        return ids;
    }

    @Test
    void sharedEncodingsMatchSentencePieceAndRoundTrip() throws IOException {
        SentencePieceTokenizer tok = load("zh-tw-bpe-8k");
        List<JsonNode> cases = lines("zh-tw-bpe-8k.encodings.jsonl");
        assertEquals(34, cases.size());
        for (JsonNode c : cases) {
            String text = c.get("text").textValue();
            assertArrayEquals(ids(c.get("ids")), tok.encode(text), () -> "ids of " + text);
            assertEquals(text, tok.decode(tok.encode(text)));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"zh-tw-bpe-8k:more-encodings", "zh-tw-unigram-3k:encodings", "zh-tw-bpe-misc-3k:encodings",
        "zh-tw-unigram-nfkc-3k:encodings"})
    void moreEncodingsAndTheirDecodingsMatchSentencePiece(String modelAndFile) throws IOException {
        String[] parts = modelAndFile.split(":");
        SentencePieceTokenizer tok = load(parts[0]);
        List<JsonNode> cases = lines(parts[0] + "." + parts[1] + ".jsonl");
        assertTrue(cases.size() > 300);
        for (JsonNode c : cases) {
            String text = c.get("text").textValue();
            int[] expected = ids(c.get("ids"));
            assertArrayEquals(expected, tok.encode(text), () -> parts[0] + " ids of " + JSON.valueToTree(text));
            assertEquals(c.get("decoded").textValue(), tok.decode(expected), () -> parts[0] + " decoding of " + text);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"zh-tw-bpe-8k", "zh-tw-unigram-3k", "zh-tw-bpe-misc-3k", "zh-tw-unigram-nfkc-3k"})
    void decodingsOfRandomIdSequencesMatchSentencePiece(String model) throws IOException {
        SentencePieceTokenizer tok = load(model);
        for (JsonNode c : lines(model + ".decodings.jsonl")) {
            int[] ids = ids(c.get("ids"));
            assertEquals(c.get("text").textValue(), tok.decode(ids), () -> model + " decoding of " + Arrays.toString(ids));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"zh-tw-bpe-8k", "zh-tw-unigram-3k"})
    void byteFallbackModelsRoundTripAnyText(String model) {
        SentencePieceTokenizer tok = load(model);
        String[] texts = {
            "", " ", "  ", "\n", "a\n\nb", "  leading", "trailing  ", "multiple     spaces",
            "Taiwan-LLM 支援繁體中文 and English 混合輸入。",
            "2024年3月15日 下午3:45，溫度 23.5°C",
            "emoji 😀🎉👍🏽 👨‍👩‍👧‍👦 與罕見字 𠀀𪚥𡃁 以及 ㄅㄆㄇ",
            "\t tab \r\n crlf \u3000 ideographic space \u00a0 nbsp",
            "literal <s></s><unk><0xE5> are text",
            "混合 mixed 字元 characters 12345 67890",
            "\u0000\u0001 control",
        };
        for (String text : texts) {
            assertEquals(text, tok.decode(tok.encode(text)), () -> model + " round trip of " + JSON.valueToTree(text));
        }
        assertEquals(0, tok.encode("").length);
        // The one text that cannot round-trip: a literal "▁" is the escaped space, so it decodes as ' ' (as in SentencePiece).
        assertEquals("a b  c", tok.decode(tok.encode("a▁b▁▁c")));
    }

    @Test
    void rareCharactersFallBackToBytePieces() {
        SentencePieceTokenizer tok = load("zh-tw-bpe-8k");
        int[] ids = tok.encode("𪚥");
        List<String> pieces = new ArrayList<>();
        for (int id : ids) {
            pieces.add(tok.piece(id));
        }
        assertEquals(List.of("▁", "<0xF0>", "<0xAA>", "<0x9A>", "<0xA5>"), pieces);
    }

    @Test
    void loneSurrogateIsEncodedAsReplacementCharacter() {
        SentencePieceTokenizer tok = load("zh-tw-bpe-8k");
        assertArrayEquals(tok.encode("a\uFFFDb"), tok.encode("a\uD800b"));
    }

    @Test
    void specialIdsAndVocabulary() {
        SentencePieceTokenizer tok = load("zh-tw-bpe-8k");
        assertEquals(8000, tok.vocabSize());
        assertEquals(0, tok.unkId());
        assertEquals(1, tok.bosId());
        assertEquals(2, tok.eosId());
        assertEquals(-1, tok.padId());
        assertEquals("<unk>", tok.piece(0));
        assertEquals("<s>", tok.piece(1));
        assertEquals("</s>", tok.piece(2));
        assertEquals("<0x00>", tok.piece(3));
        assertEquals(SentencePieceModel.ModelType.BPE, tok.model().trainerSpec().modelType());
        assertTrue(tok.model().trainerSpec().byteFallback());
        assertTrue(tok.model().trainerSpec().splitDigits());
        assertEquals("identity", tok.model().normalizerSpec().name());
        int bos = tok.bosId();
        int eos = tok.eosId();
        int[] text = tok.encode("你好");
        int[] framed = new int[text.length + 2];
        framed[0] = bos;
        System.arraycopy(text, 0, framed, 1, text.length);
        framed[framed.length - 1] = eos;
        assertEquals("你好", tok.decode(framed), "control pieces decode to nothing");
        assertThrows(IllegalArgumentException.class, () -> tok.decode(new int[] {8000}));
    }

    @Test
    void fingerprintIsSha256OfTheModelFile() throws Exception {
        byte[] bytes = Files.readAllBytes(DIR.resolve("zh-tw-bpe-8k.model"));
        String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        assertEquals(expected, load("zh-tw-bpe-8k").fingerprint());
        assertNotEquals(expected, load("zh-tw-unigram-3k").fingerprint());
    }

    @Test
    void encodingIsThreadSafe() throws Exception {
        SentencePieceTokenizer tok = load("zh-tw-bpe-8k");
        List<JsonNode> cases = lines("zh-tw-bpe-8k.more-encodings.jsonl");
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                results.add(pool.submit(() -> {
                    for (JsonNode c : cases) {
                        if (!Arrays.equals(ids(c.get("ids")), tok.encode(c.get("text").textValue()))) {
                            return false;
                        }
                    }
                    return true;
                }));
            }
            for (Future<Boolean> r : results) {
                assertTrue(r.get());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void rejectsFilesThatAreNotModels(@TempDir Path tmp) throws IOException {
        Path text = tmp.resolve("vocab-as-model.model");
        Files.copy(DIR.resolve("zh-tw-bpe-8k.vocab"), text);
        Path empty = Files.createFile(tmp.resolve("empty.model"));
        Path truncated = tmp.resolve("truncated.model");
        byte[] model = Files.readAllBytes(DIR.resolve("zh-tw-bpe-8k.model"));
        Files.write(truncated, Arrays.copyOf(model, model.length / 2));
        for (Path bad : List.of(text, empty, truncated)) {
            ConfigException e = assertThrows(ConfigException.class, () -> SentencePieceTokenizer.load(bad));
            assertTrue(e.getMessage().startsWith(bad + " is not a SentencePiece model: "), e.getMessage());
        }
        ConfigException missing = assertThrows(ConfigException.class,
                () -> SentencePieceTokenizer.load(tmp.resolve("missing.model")));
        assertTrue(missing.getMessage().contains("missing.model does not exist"), missing.getMessage());
    }

    @Test
    void rejectsABrokenPrecompiledNormalizationMap(@TempDir Path tmp) throws IOException {
        // Appends a normalizer_spec (field 3) named nmt_nfkc whose precompiled_charsmap (field 2) is 3 bytes long.
        byte[] model = Files.readAllBytes(DIR.resolve("zh-tw-bpe-8k.model"));
        byte[] spec = {0x0A, 8, 'n', 'm', 't', '_', 'n', 'f', 'k', 'c', 0x12, 3, 1, 2, 3};
        byte[] withMap = Arrays.copyOf(model, model.length + 2 + spec.length);
        withMap[model.length] = 0x1A;
        withMap[model.length + 1] = (byte) spec.length;
        System.arraycopy(spec, 0, withMap, model.length + 2, spec.length);
        Path file = tmp.resolve("nfkc.model");
        Files.write(file, withMap);
        ConfigException e = assertThrows(ConfigException.class, () -> SentencePieceTokenizer.load(file));
        assertTrue(e.getMessage().startsWith(file + " is not a SentencePiece model: its precompiled_charsmap is broken"),
                e.getMessage());
    }

    @Test
    void nfkcModelNormalizesCompatibilityCharacters() {
        SentencePieceTokenizer tok = load("zh-tw-unigram-nfkc-3k");
        assertEquals("nmt_nfkc", tok.model().normalizerSpec().name());
        assertArrayEquals(tok.encode("ABC 123"), tok.encode("ＡＢＣ\u3000１２３"));
    }
}
