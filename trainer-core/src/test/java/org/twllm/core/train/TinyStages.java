package org.twllm.core.train;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.twllm.core.config.StageConfig;
import org.twllm.core.config.StageConfigLoader;

/** Stage configs of a very small Llama on slices of the shared fixtures, for training tests. */
final class TinyStages {
    static final Path FIXTURES = Path.of(System.getProperty("twllm.fixtures", "../src-test-fixtures")).toAbsolutePath();
    static final Path TOKENIZER = FIXTURES.resolve("tokenizer/zh-tw-bpe-8k.model");
    private static final ObjectMapper JSON = new ObjectMapper();

    private TinyStages() {
    }

    /** The first {@code lines} Tang poems, as a small cPT corpus in {@code dir}. */
    static Path corpusSlice(Path dir, int lines) throws IOException {
        List<String> all = Files.readAllLines(FIXTURES.resolve("corpus/tang-poems.zh-Hant.jsonl"), StandardCharsets.UTF_8);
        Path file = dir.resolve("tang-" + lines + ".jsonl");
        Files.write(file, all.subList(0, lines), StandardCharsets.UTF_8);
        return file;
    }

    static final String MODEL = "model:\n  init: random\n  hidden_size: 32\n  intermediate_size: 64\n  num_hidden_layers: 2\n"
            + "  num_attention_heads: 4\n  num_key_value_heads: 2\n  vocab_size: 8000\n  max_position_embeddings: 128\n";

    /** A cPT config: 2 micro-batches of 2 samples of 16 tokens per step, cosine schedule with warmup. */
    static String cpt(Path out, Path cache, Path corpus, int maxSteps, int saveSteps) {
        return "stage: cpt\n"
                + "run:\n  name: tiny-test\n  output_dir: " + out + "\n  seed: 3\n"
                + MODEL
                + "tokenizer:\n  path: " + TOKENIZER + "\n"
                + "data:\n  seq_len: 16\n  shuffle: true\n  cache_dir: " + cache + "\n  sources:\n    - path: " + corpus + "\n      format: jsonl\n"
                + training(maxSteps, 2, 2, "2.0e-2", 2)
                + "checkpoint:\n  save_steps: " + saveSteps + "\n  save_total_limit: 3\n"
                + "device:\n  backend: cpu\n  peak_flops: 1.0e11\n";
    }

    static String training(int maxSteps, int micro, int accumulation, String lr, int warmup) {
        return "training:\n  max_steps: " + maxSteps + "\n  per_device_train_batch_size: " + micro
                + "\n  gradient_accumulation_steps: " + accumulation + "\n  learning_rate: " + lr
                + "\n  lr_scheduler_type: cosine\n  warmup_steps: " + warmup + "\n  min_lr: 1.0e-4\n  max_grad_norm: 1.0\n"
                + "  logging_steps: 1\n";
    }

    static StageConfig load(Path dir, String name, String yaml, String... sets) throws IOException {
        Path file = dir.resolve(name + ".yaml");
        Files.writeString(file, yaml);
        return StageConfigLoader.load(file, List.of(sets), dir);
    }

    /** The per-step training losses of a run's metrics.jsonl, in order. */
    static List<Double> losses(Path outputDir) throws IOException {
        List<Double> losses = new ArrayList<>();
        for (String line : Files.readAllLines(outputDir.resolve(MetricsLog.FILE_NAME))) {
            JsonNode n = JSON.readTree(line);
            if (n.get("step").asInt() != losses.size() + 1) {
                throw new AssertionError("metrics.jsonl steps are not 1, 2, ...: " + line);
            }
            losses.add(n.get("loss").asDouble());
        }
        return losses;
    }
}
