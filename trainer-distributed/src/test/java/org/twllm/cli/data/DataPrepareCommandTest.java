package org.twllm.cli.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twllm.cli.CliRun;
import org.twllm.cli.Main;
import org.twllm.data.shard.ShardSet;
import org.twllm.data.tokenizer.SentencePieceTokenizer;

/** {@code twllm data prepare} and {@code twllm data inspect} through {@link Main#run}, with the real tokenizer. */
class DataPrepareCommandTest {
    private static final Path FIXTURES = Path.of(System.getProperty("twllm.fixtures", "../src-test-fixtures"));
    private static final String MODEL = FIXTURES.resolve("tokenizer/zh-tw-bpe-8k.model").toString();
    private static final String LUNYU = FIXTURES.resolve("corpus/lunyu.zh-Hans.jsonl").toString();

    @TempDir
    static Path tmp;
    private static Path tang;
    private static List<String> tangLines;

    @BeforeAll
    static void slice() throws IOException {
        tangLines = Files.readAllLines(FIXTURES.resolve("corpus/tang-poems.zh-Hant.jsonl")).subList(0, 300);
        tang = tmp.resolve("tang.jsonl");
        Files.write(tang, tangLines);
    }

    @Test
    void prepareThenInspectShowsCountsChecksumsAndDecodedDocuments() throws IOException {
        Path out = tmp.resolve("cpt");
        CliRun prepared = CliRun.of("data", "prepare", "--tokenizer", MODEL, "--source", tang.toString(), "--source", LUNYU,
                "--out", out.toString());
        assertEquals(0, prepared.code(), prepared.err());
        assertTrue(prepared.out().contains("drop: simplified") && prepared.out().contains("wrote 300 documents"), prepared.out());

        ShardSet set = ShardSet.open(out, true);
        SentencePieceTokenizer tokenizer = SentencePieceTokenizer.load(Path.of(MODEL));
        set.requireTokenizer(tokenizer.fingerprint());
        assertEquals("uint16", set.manifest().dtype());
        String firstPoem = new ObjectMapper().readTree(tangLines.get(0)).get("text").asText();
        int[] first = set.documentTokens(0);
        assertEquals(firstPoem, tokenizer.decode(first));
        assertEquals(tokenizer.bosId(), first[0]);
        assertEquals(tokenizer.eosId(), first[first.length - 1]);

        CliRun again = CliRun.of("data", "prepare", "--tokenizer", MODEL, "--source", tang.toString(), "--source", LUNYU,
                "--out", out.toString());
        assertEquals(0, again.code(), again.err());
        assertTrue(again.out().contains("reused 300 documents"), again.out());

        CliRun inspected = CliRun.of("data", "inspect", out.toString(), "--samples", "2", "--tokenizer", MODEL);
        assertEquals(0, inspected.code(), inspected.err());
        assertTrue(inspected.out().contains("documents:   300"), inspected.out());
        assertTrue(inspected.out().contains("checksums:   ok"), inspected.out());
        assertTrue(inspected.out().contains("<s>" + firstPoem + "</s>"), inspected.out());
        assertTrue(inspected.out().contains("--- document 1 (tang"), inspected.out());

        CliRun ids = CliRun.of("data", "inspect", out.toString(), "--samples", "1");
        assertEquals(0, ids.code(), ids.err());
        assertTrue(ids.out().contains("[" + tokenizer.bosId() + ", " + first[1] + ", "), ids.out());
    }

    @Test
    void aGlobOfParquetFilesPreparesLikeTheJsonLinesTheyHold() throws IOException {
        Path folder = Files.createDirectories(tmp.resolve("hf/data"));
        MessageType schema = MessageTypeParser.parseMessageType("message m { optional binary text (STRING); }");
        SimpleGroupFactory rows = new SimpleGroupFactory(schema);
        ObjectMapper json = new ObjectMapper();
        for (int part = 0; part < 2; part++) {
            Path file = folder.resolve("train-0000" + part + "-of-00002.parquet");
            try (ParquetWriter<Group> w = ExampleParquetWriter.builder(new LocalOutputFile(file))
                    .withConf(new PlainParquetConfiguration()).withType(schema).withCompressionCodec(CompressionCodecName.ZSTD)
                    .withRowGroupRowCountLimit(60).build()) {
                for (String line : tangLines.subList(part * 150, part * 150 + 150)) {
                    w.write(rows.newGroup().append("text", json.readTree(line).get("text").asText()));
                }
            }
        }
        Path fromParquet = tmp.resolve("cpt-parquet");
        CliRun r = CliRun.of("data", "prepare", "--tokenizer", MODEL, "--format", "parquet", "--source", folder + "/*.parquet",
                "--out", fromParquet.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("wrote 300 documents"), r.out());
        Path fromJsonl = tmp.resolve("cpt-jsonl");
        assertEquals(0, CliRun.of("data", "prepare", "--tokenizer", MODEL, "--source", tang.toString(), "--out", fromJsonl.toString()).code());
        ShardSet a = ShardSet.open(fromParquet, true);
        ShardSet b = ShardSet.open(fromJsonl, true);
        assertEquals(b.numTokens(), a.numTokens());
        for (long d : new long[] {0, 149, 150, 299}) {
            assertArrayEquals(b.documentTokens(d), a.documentTokens(d));
        }

        CliRun none = CliRun.of("data", "prepare", "--tokenizer", MODEL, "--format", "parquet", "--source", folder + "/*.jsonl",
                "--out", tmp.resolve("none").toString());
        assertEquals(2, none.code());
        assertTrue(none.err().startsWith("error: glob " + folder + "/*.jsonl matches no files"), none.err());
    }

    @Test
    void feedbackLogBecomesMaskedSftShards() {
        Path out = tmp.resolve("fb");
        CliRun r = CliRun.of("data", "prepare", "--tokenizer", MODEL, "--format", "feedback",
                "--source", FIXTURES.resolve("feedback/zh-tw-feedback.jsonl").toString(), "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("drop: not positive"), r.out());
        ShardSet set = ShardSet.open(out, true);
        assertTrue(set.hasLossMask());
        assertEquals(25, set.numDocuments());
        CliRun inspected = CliRun.of("data", "inspect", out.toString(), "--samples", "1", "--tokenizer", MODEL);
        assertEquals(0, inspected.code(), inspected.err());
        assertTrue(inspected.out().contains("trained)") && inspected.out().contains("⟦"), inspected.out());
    }

    @Test
    void stageConfigGivesTokenizerSourcesAndFilters() throws IOException {
        String yaml = Files.readString(FIXTURES.resolve("../configs/tiny/cpt.yaml"))
                .replace("src-test-fixtures/corpus/tang-poems.zh-Hant.jsonl", tang.toString())
                .replace("src-test-fixtures/", FIXTURES.toAbsolutePath() + "/")
                .replace("output_dir: runs/tiny-cpt", "output_dir: " + tmp.resolve("run"));
        Path config = tmp.resolve("cpt.yaml");
        Files.writeString(config, yaml);
        CliRun r = CliRun.of("data", "prepare", "--config", config.toString(), "--set", "data.filters.min_chars=40");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("drop: too short"), r.out());
        Path out = tmp.resolve("run/data/cpt-train");
        assertTrue(Files.isRegularFile(out.resolve("manifest.json")),
                "shards go where twllm train reads them: data.cache_dir (<output_dir>/data by default)/<stage>-train");
        assertTrue(r.out().contains("== cpt-train") && r.out().contains("wrote "), r.out());
        CliRun again = CliRun.of("data", "prepare", "--config", config.toString(), "--set", "data.filters.min_chars=40");
        assertEquals(0, again.code(), again.err());
        assertTrue(again.out().contains("reused "), again.out());
        long shortPoems = tangLines.stream().map(l -> {
            try {
                return new ObjectMapper().readTree(l).get("text").asText();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }).filter(t -> t.codePointCount(0, t.length()) < 40).count();
        assertEquals(300 - shortPoems, ShardSet.open(out).numDocuments());

        CliRun mixed = CliRun.of("data", "prepare", "--config", config.toString(), "--source", LUNYU);
        assertEquals(Main.EXIT_USAGE, mixed.code());
        assertTrue(mixed.err().contains("--config takes"), mixed.err());
        CliRun badSet = CliRun.of("data", "prepare", "--config", config.toString(), "--set", "data.filters.min_chars=-3");
        assertEquals(Main.EXIT_USAGE, badSet.code());
        assertTrue(badSet.err().contains("min_chars"), badSet.err());
    }

    @Test
    void badInputGetsOneClearErrorAndTheRightExitCode() throws IOException {
        CliRun missing = CliRun.of("data", "prepare", "--tokenizer", MODEL, "--out", tmp.resolve("x").toString());
        assertEquals(Main.EXIT_USAGE, missing.code());
        assertTrue(missing.err().contains("--source"), missing.err());

        Path bad = tmp.resolve("bad.jsonl");
        Files.writeString(bad, "{\"text\": \"好\"}\n{\"text\": \"壞\"\n");
        CliRun malformed = CliRun.of("data", "prepare", "--tokenizer", MODEL, "--source", bad.toString(), "--out", tmp.resolve("bad").toString());
        assertEquals(Main.EXIT_USAGE, malformed.code());
        assertTrue(malformed.err().contains(bad + ":2") && malformed.err().contains("--skip-invalid"), malformed.err());
        CliRun skipped = CliRun.of("data", "prepare", "--tokenizer", MODEL, "--source", bad.toString(), "--out",
                tmp.resolve("bad").toString(), "--skip-invalid");
        assertEquals(0, skipped.code(), skipped.err());
        assertTrue(skipped.out().contains("drop: invalid"), skipped.out());

        CliRun nowhere = CliRun.of("data", "inspect", tmp.resolve("nowhere").toString());
        assertEquals(Main.EXIT_USAGE, nowhere.code());

        Path dir = tmp.resolve("corrupt");
        assertEquals(0, CliRun.of("data", "prepare", "--tokenizer", MODEL, "--source", tang.toString(), "--out", dir.toString()).code());
        String otherModel = FIXTURES.resolve("tokenizer/zh-tw-bpe-misc-3k.model").toString();
        CliRun mismatch = CliRun.of("data", "inspect", dir.toString(), "--tokenizer", otherModel);
        assertEquals(Main.EXIT_USAGE, mismatch.code());
        assertTrue(mismatch.err().contains(SentencePieceTokenizer.load(Path.of(otherModel)).fingerprint()), mismatch.err());
        try (RandomAccessFile f = new RandomAccessFile(dir.resolve("tang-00000.bin").toFile(), "rw")) {
            f.seek(200);
            int b = f.read();
            f.seek(200);
            f.write(b ^ 1);
        }
        CliRun corrupt = CliRun.of("data", "inspect", dir.toString());
        assertEquals(Main.EXIT_RUNTIME, corrupt.code());
        assertTrue(corrupt.err().contains("tang-00000.bin") && corrupt.err().contains("checksum"), corrupt.err());
    }
}
