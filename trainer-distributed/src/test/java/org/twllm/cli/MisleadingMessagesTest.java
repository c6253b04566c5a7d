package org.twllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 12 §8: the messages that misled, each reproduced and shown fixed. */
class MisleadingMessagesTest {
    private static final Path FIXTURES = Path.of(System.getProperty("twllm.fixtures"));
    private static final String TOKENIZER = FIXTURES.resolve("tokenizer/zh-tw-bpe-8k.model").toString();
    /** The tiny model's max_position_embeddings. */
    private static final int CONTEXT = 256;

    @TempDir
    static Path dir;
    static Path model;

    @BeforeAll
    static void tinyModel() {
        model = CliRun.tinyModel(dir.resolve("model"), CONTEXT);
    }

    private static void assertNoClassNameOrTrace(CliRun r) {
        assertFalse(r.err().contains("Exception") || r.err().contains("Error:") || r.err().contains("\tat "), r.all());
    }

    @Test
    void aTabInYamlIsNamedOnItsOwnLine(@TempDir Path tmp) throws Exception {
        // SnakeYAML's context mark pointed at the line before; the message spoke of "scanning for the next token".
        String[] files = {"stage: cpt\nrun:\n  name: x\n\toutput_dir: runs/x\n", "stage: cpt\nrun:\n  name: x\n  output_dir:\truns/x\n"};
        String[] where = {":4:1: ", ":4:14: "};
        for (int i = 0; i < files.length; i++) {
            Path file = tmp.resolve("tab" + i + ".yaml");
            Files.writeString(file, files[i]);
            CliRun r = CliRun.of("config", "validate", file.toString());
            assertEquals(Main.EXIT_USAGE, r.code(), r.all());
            assertTrue(r.err().contains(file + where[i] + "a tab character"), r.all());
        }
    }

    @Test
    void anEmptyChatPromptIsAUsageErrorWithoutAClassName() {
        CliRun r = CliRun.of("generate", "--model", model.toString(), "--tokenizer", TOKENIZER, "--chat", "--prompt", "");
        assertEquals(Main.EXIT_USAGE, r.code(), r.all());
        assertTrue(r.err().contains("the user message is empty"), r.all());
        assertNoClassNameOrTrace(r);
    }

    @Test
    void aContextLengthOutsideTheModelsRangeIsRefused() {
        for (String bad : List.of("0", "1", "-5", "100000", String.valueOf(CONTEXT + 1))) {
            for (String command : List.of("generate", "chat")) {
                CliRun r = CliRun.of(command, "--model", model.toString(), "--tokenizer", TOKENIZER, "--prompt", "你好",
                        "--context-length", bad);
                if (command.equals("chat")) {
                    r = CliRun.of(command, "--model", model.toString(), "--tokenizer", TOKENIZER, "--context-length", bad);
                }
                assertEquals(Main.EXIT_USAGE, r.code(), command + " --context-length " + bad + ": " + r.all());
                assertTrue(r.err().contains("--context-length " + bad) && r.err().contains("from 2 to " + CONTEXT), r.all());
            }
        }
        // serve takes 0 for the model's maximum; the rest is refused before it listens
        for (String bad : List.of("1", "100000", String.valueOf(CONTEXT + 1))) {
            CliRun r = CliRun.of("serve", "--model", model.toString(), "--tokenizer", TOKENIZER, "--port", "0",
                    "--feedback-log", dir.resolve("feedback.jsonl").toString(), "--context-length", bad);
            assertEquals(Main.EXIT_USAGE, r.code(), "serve --context-length " + bad + ": " + r.all());
            assertTrue(r.err().contains("--context-length " + bad) && r.err().contains("from 2 to " + CONTEXT), r.all());
        }
        CliRun ok = CliRun.of("generate", "--model", model.toString(), "--tokenizer", TOKENIZER, "--prompt", "你好",
                "--context-length", String.valueOf(CONTEXT), "--max-new-tokens", "2");
        assertEquals(Main.EXIT_OK, ok.code(), ok.all());
    }

    @Test
    void chatAnswersAnOverlongMessageWithTheErrorAndGoesOn() {
        String overlong = "春眠不覺曉處處聞啼鳥夜來風雨聲花落知多少".repeat(16);
        CliRun r = CliRun.withInput("你好\n" + overlong + "\n臺灣最高的山是哪一座？\n", "chat", "--model", model.toString(),
                "--tokenizer", TOKENIZER, "--max-new-tokens", "4");
        assertEquals(Main.EXIT_OK, r.code(), r.all());
        assertEquals(3, r.out().lines().count(), "one reply line per message, the overlong one's empty:\n" + r.all());
        assertTrue(r.out().lines().toList().get(1).isEmpty(), r.all());
        assertTrue(r.err().contains("[chat] error: this message needs") && r.err().contains("the context holds " + CONTEXT),
                r.all());
        assertEquals(2, r.err().lines().filter(l -> l.startsWith("[generate]")).count(), "both other messages answered:\n" + r.all());
    }

    @Test
    void tooFewSamplesNamesEachSourceWithItsFilterCountsAndTheAdviceThatFits(@TempDir Path tmp) throws Exception {
        // SFT examples longer than seq_len under overlong: drop; the old advice was to lower seq_len.
        Path cfg = tmp.resolve("sft.yaml");
        Files.writeString(cfg, "stage: sft\nrun:\n  name: sft\n  output_dir: " + tmp.resolve("run") + "\n"
                + "model:\n  init: random\n  hidden_size: 16\n  intermediate_size: 32\n  num_hidden_layers: 1\n"
                + "  num_attention_heads: 2\n  num_key_value_heads: 2\n  vocab_size: 8000\n  max_position_embeddings: 32\n"
                + "tokenizer:\n  path: " + TOKENIZER + "\n"
                + "data:\n  seq_len: 16\n  cache_dir: " + tmp.resolve("cache") + "\n  overlong: drop\n  sources:\n"
                + "    - path: " + FIXTURES.resolve("dialogues/zh-tw-dialogues.jsonl") + "\n      name: dialogues\n      format: chat\n"
                + "training:\n  max_steps: 1\n  per_device_train_batch_size: 2\n  learning_rate: 1.0e-3\n  warmup_steps: 0\n"
                + "device:\n  peak_flops: 1.0e11\n");
        CliRun r = CliRun.of("train", "--stage", "sft", "--config", cfg.toString());
        assertEquals(Main.EXIT_USAGE, r.code(), r.all());
        assertTrue(r.err().contains("the training set holds 0 samples") && r.err().contains("source dialogues (")
                && r.err().contains(" read, ") && r.err().contains("packing dropped")
                && r.err().contains("as longer than data.seq_len 16 (data.overlong: drop)")
                && r.err().contains("raise data.seq_len, or set data.overlong: truncate"), r.all());
        assertFalse(r.err().contains("lower") && r.err().contains("data.seq_len;"), r.all());

        // A cPT source whose documents the length filter drops: the filter is named with its count.
        Path cpt = CliRun.tinyCpt(Files.createDirectories(tmp.resolve("cpt")), "");
        CliRun filtered = CliRun.of("train", "--stage", "cpt", "--config", cpt.toString(), "--set", "data.filters.min_chars=100000");
        assertEquals(Main.EXIT_USAGE, filtered.code(), filtered.all());
        assertTrue(filtered.err().contains("60 read, 0 kept, 60 dropped (60 too short)")
                && filtered.err().contains("relax data.filters"), filtered.all());
    }

    @Test
    void aMalformedRecordInTrainingAdvisesWhatTrainAccepts(@TempDir Path tmp) throws Exception {
        Path cfg = CliRun.tinyCpt(tmp, "");
        Path corpus = tmp.resolve("poems.jsonl");
        Files.writeString(corpus, Files.readString(corpus) + "{not json\n");
        CliRun r = CliRun.of("train", "--stage", "cpt", "--config", cfg.toString());
        assertEquals(Main.EXIT_USAGE, r.code(), r.all());
        assertTrue(r.err().contains(corpus + ":61") && r.err().contains("data prepare --skip-invalid --out DIR")
                && r.err().contains("'format: shards' source"), r.all());
        // ...and that advice works: the skipped record is counted, and train accepts the folder.
        Path shards = tmp.resolve("shards");
        CliRun prepared = CliRun.of("data", "prepare", "--tokenizer", TOKENIZER, "--source", corpus.toString(), "--skip-invalid",
                "--out", shards.toString());
        assertEquals(Main.EXIT_OK, prepared.code(), prepared.all());
        Files.writeString(cfg, Files.readString(cfg).replaceFirst("    - path: .*\n", "    - path: " + shards + "\n      format: shards\n"));
        CliRun trained = CliRun.of("train", "--stage", "cpt", "--config", cfg.toString(), "--set", "training.max_steps=1");
        assertEquals(Main.EXIT_OK, trained.code(), trained.all());
    }

    @Test
    void invalidUtf8IsReportedOnItsOwnLine(@TempDir Path tmp) throws Exception {
        // Line 1 used to be reported as "line 0", and any line as the start of the decoder's 8 KiB block.
        byte[] first = "\u6625\u7720 \u4e0d\u89ba\u66c9".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[][] cases = {
            concat(new byte[] {'a', (byte) 0xff, '\n'}, "{\"text\":\"ok\"}\n".getBytes()),
            concat(("{\"text\":\"" + "\u8a69".repeat(5000) + "\"}\n").getBytes(java.nio.charset.StandardCharsets.UTF_8),
                    concat("{\"text\":\"".getBytes(), concat(first, new byte[] {(byte) 0xe8, '"', '}', '\n'})))};
        int[] lines = {1, 2};
        int[] bytes = {2, 9 + first.length + 1};
        for (int i = 0; i < cases.length; i++) {
            Path source = tmp.resolve("bad" + i + ".jsonl");
            Files.write(source, cases[i]);
            CliRun r = CliRun.of("data", "prepare", "--tokenizer", TOKENIZER, "--source", source.toString(),
                    "--out", tmp.resolve("out" + i).toString());
            assertEquals(Main.EXIT_USAGE, r.code(), r.all());
            assertTrue(r.err().contains(source + " line " + lines[i] + " is not valid UTF-8 (its byte " + bytes[i] + ")")
                    && r.err().contains("iconv"), r.all());
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void evalSkipsAndCountsAnExampleLongerThanTheContextInsteadOfAborting(@TempDir Path tmp) throws Exception {
        Path tasks = tmp.resolve("qa.jsonl");
        String longContext = "阿里山森林鐵路於1912年通車，沿線可以欣賞神木與雲海。".repeat(20);
        Files.writeString(tasks, "{\"id\": \"short\", \"context\": \"日月潭位於南投縣。\", \"question\": \"日月潭位於哪一個縣？\","
                + " \"answers\": [\"南投縣\"]}\n{\"id\": \"long\", \"context\": \"" + longContext + "\", \"question\": \"哪一年通車？\","
                + " \"answers\": [\"1912年\"]}\n");
        Path out = tmp.resolve("results.json");
        CliRun r = CliRun.of("eval", "--model", model.toString(), "--tokenizer", TOKENIZER, "--chat-template", "taiwan-llm",
                "--tasks", "qa=" + tasks, "--out", out.toString(), "--max-new-tokens", "2");
        assertEquals(Main.EXIT_OK, r.code(), r.all());
        assertTrue(r.err().contains("task qa, example long: the prompt needs") && r.err().contains("skipped"), r.all());
        assertTrue(r.err().contains("1 examples in") && r.err().contains("1 skipped as longer than the context"), r.all());
        var task = new com.fasterxml.jackson.databind.ObjectMapper().readTree(out.toFile()).path("tasks").path("qa");
        assertEquals(1, task.path("examples").asInt(), task.toString());
        assertEquals(1, task.path("skipped").asInt(), task.toString());
        assertTrue(task.path("metrics").has("exact_match"), task.toString());
    }

    @Test
    void aFullDiskInDataPrepareSaysNoSpaceLeftOnDevice(@TempDir Path tmp) throws Exception {
        String why = privateMountUnavailable(tmp);
        Assumptions.assumeTrue(why == null, () -> "skipped: " + why);
        Path small = Files.createDirectories(tmp.resolve("small"));
        // A private mount namespace with a 256 KiB tmpfs: the 2 MB of shards of the Tang poems cannot fit.
        CliRun r = CliRun.inChildJvm(List.of("unshare", "-m", "sh", "-c", "mount -t tmpfs -o size=256k tmpfs \"$0\" && exec \"$@\"",
                small.toString()), List.of("-Xmx256m"), 120, "data", "prepare", "--tokenizer", TOKENIZER,
                "--source", FIXTURES.resolve("corpus/tang-poems.zh-Hant.jsonl").toString(), "--out", small.resolve("out").toString());
        assertEquals(Main.EXIT_RUNTIME, r.code(), r.all());
        assertTrue(r.err().contains("No space left on device") && r.err().contains("free space"), r.all());
        assertNoClassNameOrTrace(r);
    }

    /** Null when a child can get a private mount namespace with a tmpfs (root and util-linux), else why not. */
    private static String privateMountUnavailable(Path tmp) throws IOException, InterruptedException {
        Path probe = Files.createDirectories(tmp.resolve("probe"));
        try {
            Process p = new ProcessBuilder("unshare", "-m", "mount", "-t", "tmpfs", "-o", "size=4k", "tmpfs", probe.toString())
                    .redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes());
            return p.waitFor() == 0 ? null : "cannot mount a tmpfs in a private mount namespace (" + output.strip() + ")";
        } catch (IOException e) {
            return "cannot run unshare (" + e.getMessage() + ")";
        }
    }
}
