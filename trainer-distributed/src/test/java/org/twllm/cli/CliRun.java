package org.twllm.cli;

import org.twllm.ModelFiles;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.twllm.core.engine.LlamaConfig;

/** The twllm CLI run in this JVM with its output captured, and a tiny cPT stage for the runs to train. */
public record CliRun(int code, String out, String err) {
    static final Path FIXTURES = Path.of(System.getProperty("twllm.fixtures"));
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Runs {@code twllm ARGS}; stdout and stderr (log lines included) are captured. */
    public static CliRun of(String... args) {
        return withInput("", args);
    }

    /** {@link #of} with {@code stdin} as standard input. */
    public static CliRun withInput(String stdin, String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        InputStream in = System.in;
        ByteArrayOutputStream capturedOut = new ByteArrayOutputStream();
        ByteArrayOutputStream capturedErr = new ByteArrayOutputStream();
        System.setOut(new PrintStream(capturedOut, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(capturedErr, true, StandardCharsets.UTF_8));
        System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
        try {
            int code = Main.run(args);
            return new CliRun(code, capturedOut.toString(StandardCharsets.UTF_8), capturedErr.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
            System.setIn(in);
        }
    }

    /**
     * Runs {@code twllm ARGS} as {@code main} does, in a child JVM started under {@code launcher} (a command
     * prefix such as {@code unshare -m ...}, may be empty) with the given extra JVM flags; waits at most
     * {@code timeoutS} seconds. The child runs in the repository root, so the shipped configs' relative paths work.
     */
    static CliRun inChildJvm(List<String> launcher, List<String> jvmFlags, long timeoutS, String... args)
            throws IOException, InterruptedException {
        Path out = Files.createTempFile("twllm-child", ".out");
        Path err = Files.createTempFile("twllm-child", ".err");
        try {
            Process p = childJvm(launcher, jvmFlags, args).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(timeoutS, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
                throw new IllegalStateException("twllm " + String.join(" ", args) + " did not finish in " + timeoutS
                        + " s:\n" + Files.readString(err));
            }
            return new CliRun(p.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /** Starts {@code twllm ARGS} in a child JVM without waiting; its stdout and stderr go to {@code log}. */
    static Process startChildJvm(Path log, String... args) throws IOException {
        return childJvm(List.of(), List.of("-Xmx512m"), args).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private static ProcessBuilder childJvm(List<String> launcher, List<String> jvmFlags, String... args) {
        List<String> command = new ArrayList<>(launcher);
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "--add-exports",
                "java.base/jdk.internal.misc=ALL-UNNAMED"));
        command.addAll(jvmFlags);
        String cp = System.getProperty("surefire.test.class.path");
        command.addAll(List.of("-cp", cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path"),
                Main.class.getName()));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).directory(FIXTURES.getParent().toFile());
    }

    /** Everything the run printed, for assertion messages. */
    String all() {
        return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }

    /**
     * A tiny cPT stage config in {@code dir} (a 1-layer random model, 60 poems, seq_len 16, batch 2) writing to
     * {@code dir/run} with its shard cache in {@code dir/cache}; {@code extraYaml} is appended.
     */
    public static Path tinyCpt(Path dir, String extraYaml) throws IOException {
        return tinyCpt(dir, 8000, extraYaml);
    }

    /** {@link #tinyCpt(Path, String)} with a model of {@code vocabSize} embedding rows (the tokenizer has 8,000 pieces). */
    public static Path tinyCpt(Path dir, int vocabSize, String extraYaml) throws IOException {
        List<String> poems = Files.readAllLines(FIXTURES.resolve("corpus/tang-poems.zh-Hant.jsonl"));
        Path corpus = dir.resolve("poems.jsonl");
        Files.write(corpus, poems.subList(0, 60));
        Path file = dir.resolve("cpt.yaml");
        Files.writeString(file, "stage: cpt\n"
                + "run:\n  name: tiny\n  output_dir: " + dir.resolve("run") + "\n"
                + "model:\n  init: random\n  hidden_size: 16\n  intermediate_size: 32\n  num_hidden_layers: 1\n"
                + "  num_attention_heads: 2\n  num_key_value_heads: 2\n  vocab_size: " + vocabSize + "\n  max_position_embeddings: 32\n"
                + "tokenizer:\n  path: " + FIXTURES.resolve("tokenizer/zh-tw-bpe-8k.model") + "\n"
                + "data:\n  seq_len: 16\n  cache_dir: " + dir.resolve("cache") + "\n  sources:\n    - path: " + corpus + "\n"
                + "training:\n  max_steps: 2\n  per_device_train_batch_size: 2\n  learning_rate: 1.0e-3\n  warmup_steps: 0\n"
                + "device:\n  peak_flops: 1.0e11\n" + extraYaml);
        return file;
    }

    /** A tiny random GQA Llama (1 layer, hidden 32, the fixture tokenizer's 8,000 pieces) saved in {@code dir}. */
    public static Path tinyModel(Path dir, int maxPositions) {
        LlamaConfig config = new LlamaConfig(32, 64, 1, 4, 2, 8000, maxPositions, 1e-5, 10000.0, false);
        return ModelFiles.saveRandom(config, 3, 0.2, dir);
    }

    /** The {@code loss} of every line of {@code runDir/metrics.jsonl}. */
    public static double[] losses(Path runDir) throws IOException {
        return Files.readAllLines(runDir.resolve("metrics.jsonl")).stream().mapToDouble(line -> {
            try {
                return JSON.readTree(line).get("loss").asDouble();
            } catch (IOException e) {
                throw new IllegalStateException("bad metrics line " + line, e);
            }
        }).toArray();
    }
}
