package org.twllm.data.corpus;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twllm.data.chat.TaiwanLlmTemplate;
import org.twllm.data.shard.ShardKind;
import org.twllm.data.shard.ShardSet;
import org.twllm.data.tokenizer.CodePointTokenizer;
import org.twllm.data.tokenizer.SentencePieceTokenizer;
import org.twllm.errors.ConfigException;
import org.twllm.progress.ProgressOutput;

class CorpusPreparerTest {
    private static final CodePointTokenizer TOKENIZER = CodePointTokenizer.allCodePoints();

    @TempDir
    Path tmp;

    static Path fixture(String relative) {
        return Path.of(System.getProperty("twllm.fixtures"), relative);
    }

    private static SourceSpec tang() {
        return new SourceSpec(fixture("corpus/tang-poems.zh-Hant.jsonl"), "tang", SourceFormat.JSONL, "text", 1.0);
    }

    private static SourceSpec lunyu() {
        return new SourceSpec(fixture("corpus/lunyu.zh-Hans.jsonl"), "lunyu", SourceFormat.JSONL, "text", 1.0);
    }

    private PrepareReport prepare(PrepareSettings.Builder b, Path out) {
        return new CorpusPreparer(TOKENIZER, b.build()).prepare(out);
    }

    @Test
    void keepTraditionalKeepsEveryTangPoemAndDropsTheAnalects() throws IOException {
        SentencePieceTokenizer real = SentencePieceTokenizer.load(fixture("tokenizer/zh-tw-bpe-8k.model"));
        Path out = tmp.resolve("out");
        PrepareReport report = new CorpusPreparer(real, PrepareSettings.builder(ShardKind.CPT).source(tang()).source(lunyu())
                .threads(2).build()).prepare(out);
        SourceStats t = report.source("tang");
        SourceStats l = report.source("lunyu");
        assertEquals(12000, t.recordsRead());
        assertEquals(12000, t.documentsKept());
        assertEquals(0, t.mostlySimplified());
        assertEquals(20, l.recordsRead());
        assertEquals(0, l.documentsKept());
        assertEquals(20, l.dropped(SourceStats.SIMPLIFIED));

        ObjectMapper json = new ObjectMapper();
        List<String> poems = new ArrayList<>();
        for (String line : Files.readAllLines(tang().path())) {
            poems.add(json.readTree(line).get("text").asText());
        }
        long expectedTokens = poems.stream().mapToLong(p -> real.encode(p).length + 2).sum();
        assertEquals(expectedTokens, t.tokensKept());
        assertEquals(t.tokensKept(), t.tokensWritten());

        ShardSet set = ShardSet.open(out, true);
        set.requireTokenizer(real.fingerprint());
        assertEquals(12000, set.numDocuments());
        assertEquals(expectedTokens, set.numTokens());
        assertEquals("uint16", set.manifest().dtype());
        // Documents are [BOS] + ids + [EOS], in corpus order.
        for (int i : new int[] {0, 1, 5999, 11999}) {
            int[] doc = set.documentTokens(i);
            assertEquals(real.bosId(), doc[0]);
            assertEquals(real.eosId(), doc[doc.length - 1]);
            assertEquals(poems.get(i), real.decode(doc), "document " + i);
        }

        JsonNode saved = json.readTree(out.resolve(PrepareReport.FILE_NAME).toFile());
        assertEquals(20, saved.at("/sources/1/dropped/simplified").asLong());
        assertEquals(12000, saved.at("/sources/0/documentsWritten").asLong());
        String table = report.toTable();
        assertTrue(table.contains("drop: simplified") && table.contains("lunyu") && table.contains("12000"), table);
    }

    @Test
    void largeVocabulariesGiveUint32ShardsThatKeepHighIds() throws IOException {
        Path src = tmp.resolve("rare.txt");
        String rare = "𠀀𪚥 are CJK Extension B characters";
        Files.writeString(src, rare + "\n\n古字\n");
        prepare(PrepareSettings.builder(ShardKind.CPT).source(SourceSpec.of(src, SourceFormat.TEXT)), tmp.resolve("u32"));
        ShardSet set = ShardSet.open(tmp.resolve("u32"), true);
        assertEquals("uint32", set.manifest().dtype());
        int[] first = set.documentTokens(0);
        assertEquals(0x20000 + 3, first[1], "an id above 65535 is stored whole");
        assertEquals(rare, TOKENIZER.decode(first));
        assertEquals("古字", TOKENIZER.decode(set.documentTokens(1)));
    }

    @Test
    void countOnlyKeepsSimplifiedButCountsItAndOffDoesNotLook() {
        PrepareReport count = prepare(PrepareSettings.builder(ShardKind.CPT).source(lunyu()).scriptMode(ScriptMode.COUNT_ONLY),
                tmp.resolve("count"));
        assertEquals(20, count.source("lunyu").documentsKept());
        assertEquals(20, count.source("lunyu").mostlySimplified());
        assertEquals(0, count.source("lunyu").dropped(SourceStats.SIMPLIFIED));
        PrepareReport off = prepare(PrepareSettings.builder(ShardKind.CPT).source(lunyu()).scriptMode(ScriptMode.OFF),
                tmp.resolve("off"));
        assertEquals(20, off.source("lunyu").documentsKept());
        assertEquals(0, off.source("lunyu").mostlySimplified());
    }

    @Test
    void lengthFiltersCountCharactersNotBytes() {
        PrepareReport r = prepare(PrepareSettings.builder(ShardKind.CPT).source(tang()).minChars(40).maxChars(200),
                tmp.resolve("len"));
        SourceStats t = r.source("tang");
        // Counted independently in Python: 853 poems under 40 characters, 541 over 200.
        assertEquals(853, t.dropped(SourceStats.TOO_SHORT));
        assertEquals(541, t.dropped(SourceStats.TOO_LONG));
        assertEquals(12000 - 853 - 541, t.documentsKept());
        assertThrows(ConfigException.class, () -> PrepareSettings.builder(ShardKind.CPT).source(tang()).minChars(10).maxChars(5).build());
    }

    @Test
    void exactDuplicatesAreDroppedAcrossSourcesUnlessDedupIsOff() throws IOException {
        Path a = tmp.resolve("a.jsonl");
        Path b = tmp.resolve("b.txt");
        Files.writeString(a, "{\"text\": \"床前明月光\"}\n{\"text\": \"疑是地上霜\"}\n{\"text\": \"床前明月光\"}\n{\"text\": \"床前明月光 \"}\n{\"text\": \"  \"}\n");
        Files.writeString(b, "疑是地上霜\n\n舉頭望明月\n");
        PrepareSettings.Builder settings = PrepareSettings.builder(ShardKind.CPT)
                .source(SourceSpec.of(a, SourceFormat.JSONL)).source(SourceSpec.of(b, SourceFormat.TEXT));
        PrepareReport r = prepare(settings, tmp.resolve("dedup"));
        assertEquals(1, r.source("a").dropped(SourceStats.DUPLICATE), r.toTable());
        assertEquals(1, r.source("a").dropped(SourceStats.EMPTY));
        assertEquals(3, r.source("a").documentsKept(), "a trailing space makes a different text");
        assertEquals(1, r.source("b").dropped(SourceStats.DUPLICATE));
        assertEquals(1, r.source("b").documentsKept());

        PrepareReport noDedup = prepare(settings.dedup(false), tmp.resolve("nodedup"));
        assertEquals(4, noDedup.source("a").documentsKept());
        assertEquals(2, noDedup.source("b").documentsKept());
    }

    @Test
    void mixtureWeightsRepeatWholePassesAndSampleTheFraction() throws IOException {
        Path src = tmp.resolve("docs.jsonl");
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < 1000; i++) {
            lines.append("{\"text\": \"文件").append(i).append("\"}\n");
        }
        Files.writeString(src, lines);
        PrepareReport twoAndHalf = prepare(PrepareSettings.builder(ShardKind.CPT)
                .source(new SourceSpec(src, "docs", SourceFormat.JSONL, "text", 2.5)), tmp.resolve("w25"));
        SourceStats s = twoAndHalf.source("docs");
        assertEquals(1000, s.documentsKept());
        long fraction = s.documentsWritten() - 2000;
        // Binomial(1000, 0.5): within 5 standard deviations (about 16) of 500.
        assertTrue(Math.abs(fraction - 500) < 80, "fractional pass wrote " + fraction);
        ShardSet set = ShardSet.open(tmp.resolve("w25"));
        MixtureWeight w = new MixtureWeight("docs", 2.5);
        List<Integer> expectedExtra = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            assertArrayEquals(set.documentTokens(i), set.documentTokens(1000 + i), "second pass repeats document " + i);
            if (w.inFractionalPass(i)) {
                expectedExtra.add(i);
            }
        }
        assertEquals(expectedExtra.size(), fraction);
        for (int k = 0; k < expectedExtra.size(); k++) {
            assertArrayEquals(set.documentTokens(expectedExtra.get(k)), set.documentTokens(2000 + k));
        }

        PrepareReport third = prepare(PrepareSettings.builder(ShardKind.CPT)
                .source(new SourceSpec(src, "docs", SourceFormat.JSONL, "text", 0.3)), tmp.resolve("w03"));
        long written = third.source("docs").documentsWritten();
        assertTrue(Math.abs(written - 300) < 75, "weight 0.3 wrote " + written);
        assertEquals(1000, third.source("docs").documentsKept());
        // Deterministic: the same inputs elsewhere give the same shards.
        PrepareReport again = prepare(PrepareSettings.builder(ShardKind.CPT)
                .source(new SourceSpec(src, "docs", SourceFormat.JSONL, "text", 0.3)), tmp.resolve("w03b"));
        assertEquals(written, again.source("docs").documentsWritten());
        assertEquals(Files.readString(tmp.resolve("w03/manifest.json")), Files.readString(tmp.resolve("w03b/manifest.json")));
    }

    @Test
    void outputIsTheSameForOneAndSeveralThreads() throws IOException {
        Path slice = tmp.resolve("tang.jsonl");
        Files.write(slice, Files.readAllLines(tang().path()).subList(0, 1500));
        prepare(PrepareSettings.builder(ShardKind.CPT).source(SourceSpec.of(slice, SourceFormat.JSONL)).threads(1), tmp.resolve("t1"));
        prepare(PrepareSettings.builder(ShardKind.CPT).source(SourceSpec.of(slice, SourceFormat.JSONL)).threads(3), tmp.resolve("t3"));
        assertArrayEquals(Files.readAllBytes(tmp.resolve("t1/tang-00000.bin")), Files.readAllBytes(tmp.resolve("t3/tang-00000.bin")));
        assertEquals(1500, ShardSet.open(tmp.resolve("t3")).numDocuments());
    }

    @Test
    void malformedLinesStopTheRunNamingFileAndLineUnlessSkipped() throws IOException {
        Path src = tmp.resolve("bad.jsonl");
        Files.writeString(src, "{\"text\": \"好\"}\n{\"text\": 3}\n{oops\n{\"body\": \"x\"}\n{\"text\": \"對\"}\n");
        PrepareSettings.Builder b = PrepareSettings.builder(ShardKind.CPT).source(SourceSpec.of(src, SourceFormat.JSONL));
        ConfigException e = assertThrows(ConfigException.class, () -> prepare(b, tmp.resolve("bad")));
        assertTrue(e.getMessage().contains(src + ":2") && e.getMessage().contains("--skip-invalid"), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("bad")), "a failed run leaves no output");
        try (Stream<Path> left = Files.list(tmp)) {
            // Only the source and the lock file that serialises concurrent preparers remain.
            assertEquals(List.of(".bad.lock", "bad.jsonl"), left.map(p -> p.getFileName().toString()).sorted().toList(),
                    "no temporary folder left");
        }

        PrepareReport r = prepare(b.skipInvalid(true), tmp.resolve("bad"));
        assertEquals(5, r.source("bad").recordsRead());
        assertEquals(3, r.source("bad").dropped(SourceStats.INVALID));
        assertEquals(2, r.source("bad").documentsKept());
    }

    @Test
    void sameInputsReuseTheOutputAndChangedInputsRebuildIt() throws IOException {
        Path src = tmp.resolve("poems.jsonl");
        Files.writeString(src, "{\"text\": \"春眠不覺曉\"}\n{\"text\": \"處處聞啼鳥\"}\n");
        Path out = tmp.resolve("out");
        PrepareSettings.Builder b = PrepareSettings.builder(ShardKind.CPT).source(SourceSpec.of(src, SourceFormat.JSONL));
        PrepareReport first = prepare(b, out);
        assertFalse(first.cached());
        FileTime written = Files.getLastModifiedTime(out.resolve("manifest.json"));

        PrepareReport second = prepare(b, out);
        assertTrue(second.cached());
        assertEquals(first.inputsFingerprint(), second.inputsFingerprint());
        assertEquals(2, second.source("poems").documentsWritten());
        assertEquals(written, Files.getLastModifiedTime(out.resolve("manifest.json")));
        assertTrue(second.toTable().contains("reused"));

        // Different settings: rebuilt, and the new shards replace the old ones.
        PrepareReport longer = prepare(b.minChars(6), out);
        assertFalse(longer.cached());
        assertNotEquals(first.inputsFingerprint(), longer.inputsFingerprint());
        assertEquals(0, ShardSet.open(out).numDocuments());

        // A changed source file (new size and time): rebuilt.
        Files.writeString(src, "{\"text\": \"夜來風雨聲，花落知多少\"}\n");
        Files.setLastModifiedTime(src, FileTime.fromMillis(Files.getLastModifiedTime(src).toMillis() + 5000));
        PrepareReport changed = prepare(b, out);
        assertFalse(changed.cached());
        assertEquals(1, ShardSet.open(out, true).numDocuments());
        try (Stream<Path> siblings = Files.list(tmp)) {
            assertEquals(List.of(".out.lock", "out", "poems.jsonl"), siblings.map(p -> p.getFileName().toString()).sorted().toList());
        }

        // Another kind of folder is never overwritten.
        Path notShards = tmp.resolve("mine");
        Files.createDirectories(notShards);
        Files.writeString(notShards.resolve("notes.txt"), "keep me");
        ConfigException e = assertThrows(ConfigException.class, () -> prepare(b, notShards));
        assertTrue(e.getMessage().contains("not a shard directory"), e.getMessage());
    }

    @Test
    void aDamagedCachedShardIsRebuiltFromItsSources() throws IOException {
        Path out = tmp.resolve("out");
        PrepareSettings.Builder b = PrepareSettings.builder(ShardKind.CPT).source(tang());
        prepare(b, out);
        Path shard = out.resolve(ShardSet.open(out).shardFiles().get(0));
        byte[] clean = Files.readAllBytes(shard);
        byte[] damaged = clean.clone();
        for (int i = 0; i < 128; i++) {
            damaged[200 + 2 * i] = 5; // 128 token ids overwritten past the header; sizes and header still agree
            damaged[201 + 2 * i] = 0;
        }
        Files.write(shard, damaged);

        PrepareReport again = prepare(b, out);
        assertFalse(again.cached(), "a cache that fails verification must not be reused");
        assertArrayEquals(clean, Files.readAllBytes(shard), "the rebuilt shard equals the clean one");
        assertTrue(prepare(b, out).cached());
    }

    @Test
    void aLongPreparationShowsProgressLinesAndAReusedOneNone() throws IOException {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        AtomicLong clock = new AtomicLong();
        // Every clock read (one per batch of records) is 50 ms later: the preparation "takes" seconds.
        ProgressOutput output = new ProgressOutput(new PrintStream(printed, true, StandardCharsets.UTF_8), false,
                () -> clock.addAndGet(50_000_000L));
        PrepareSettings settings = PrepareSettings.builder(ShardKind.CPT).source(tang()).build();
        new CorpusPreparer(TOKENIZER, settings, output).prepare(tmp.resolve("progress"));
        List<String> lines = printed.toString(StandardCharsets.UTF_8).lines().toList();
        assertTrue(lines.size() >= 2, lines.toString());
        assertTrue(lines.get(0).matches("data prepare: [0-9,]+ documents, [0-9,]+ documents/s, [0-9.]+ / 4\\.0 MB, [0-9.]+ MB/s,"
                + " [0-9]+%, ETA [0-9hms]+"), lines.get(0));
        assertTrue(lines.get(lines.size() - 1).matches("data prepare: 12,000 documents, [0-9,]+ documents/s, 4\\.0 MB, [0-9.]+ MB/s,"
                + " done in [0-9hms]+"), lines.get(lines.size() - 1));

        printed.reset();
        new CorpusPreparer(TOKENIZER, settings, output).prepare(tmp.resolve("progress"));
        assertEquals("", printed.toString(StandardCharsets.UTF_8), "reusing the output is quick and silent");
    }

    @Test
    void chatAndFeedbackSourcesBecomeMaskedSftExamples() {
        PrepareReport chat = prepare(PrepareSettings.builder(ShardKind.SFT).chatTemplate(new TaiwanLlmTemplate(null))
                .source(SourceSpec.of(fixture("dialogues/zh-tw-dialogues.jsonl"), SourceFormat.CHAT))
                .source(SourceSpec.of(fixture("dialogues/zh-tw-sharegpt.jsonl"), SourceFormat.SHAREGPT)), tmp.resolve("chat"));
        assertEquals(0, chat.droppedTotals().values().stream().mapToLong(Long::longValue).sum(), chat.toTable());
        ShardSet set = ShardSet.open(tmp.resolve("chat"), true);
        assertTrue(set.hasLossMask());
        assertEquals(chat.documentsWritten(), set.numDocuments());
        int[] tokens = set.documentTokens(0);
        boolean[] mask = new boolean[tokens.length];
        set.readLossMask(set.documentStart(0), mask, 0, tokens.length);
        assertEquals(1, tokens[0]);
        assertFalse(mask[0], "BOS is not trained");
        assertTrue(mask[tokens.length - 1], "the closing EOS of the last assistant turn is trained");
        assertEquals(2, tokens[tokens.length - 1]);

        // 44 rated records: 16 not positive, 3 repeats of earlier positive ones, 25 kept (see the fixture's README).
        PrepareReport feedback = prepare(PrepareSettings.builder(ShardKind.SFT).chatTemplate(new TaiwanLlmTemplate(null))
                .source(SourceSpec.of(fixture("feedback/zh-tw-feedback.jsonl"), SourceFormat.FEEDBACK)), tmp.resolve("fb"));
        SourceStats f = feedback.source("zh-tw-feedback");
        assertEquals(44, f.recordsRead());
        assertEquals(16, f.dropped(Extractors.NOT_POSITIVE));
        assertEquals(3, f.dropped(SourceStats.DUPLICATE));
        assertEquals(25, f.documentsKept());

        // A later rating of the same message (conversation_id + message_id) supersedes the earlier one.
        String conversation = ",\"messages\":[{\"role\":\"user\",\"content\":\"玉山多高？\"},{\"role\":\"assistant\",\"content\":\"";
        Path log = tmp.resolve("served.jsonl");
        try {
            Files.writeString(log, String.join("\n",
                    "{\"conversation_id\":\"c1\",\"message_id\":\"m1\",\"rating\":\"down\"" + conversation + "3952 公尺。\"}]}",
                    "{\"conversation_id\":\"c2\",\"message_id\":\"m2\",\"rating\":\"up\"" + conversation + "四千公尺。\"}]}",
                    "{\"conversation_id\":\"c1\",\"message_id\":\"m1\",\"rating\":\"up\"" + conversation + "3952 公尺。\"}]}",
                    "{\"conversation_id\":\"c2\",\"message_id\":\"m2\",\"rating\":\"down\"" + conversation + "四千公尺。\"}]}",
                    "{\"rating\":\"up\"" + conversation + "海拔 3,952 公尺。\"}]}") + "\n");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        SourceStats served = prepare(PrepareSettings.builder(ShardKind.SFT).chatTemplate(new TaiwanLlmTemplate(null))
                .source(SourceSpec.of(log, SourceFormat.FEEDBACK)), tmp.resolve("served")).source("served");
        assertEquals(5, served.recordsRead());
        assertEquals(2, served.dropped(Extractors.SUPERSEDED));
        assertEquals(1, served.dropped(Extractors.NOT_POSITIVE));
        assertEquals(2, served.documentsKept());

        ConfigException wrongKind = assertThrows(ConfigException.class, () -> PrepareSettings.builder(ShardKind.CPT)
                .source(SourceSpec.of(fixture("feedback/zh-tw-feedback.jsonl"), SourceFormat.FEEDBACK)).build());
        assertTrue(wrongKind.getMessage().contains("--kind sft"), wrongKind.getMessage());
    }
}
