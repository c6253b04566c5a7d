package org.twllm.serve;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Stage configs for training a served model one step on a dialogue or feedback file. */
final class StageConfigs {
    private StageConfigs() {
    }

    /**
     * A one-step {@code stage} config (sft or feedback-sft) whose model starts from {@code model}, training on
     * {@code source} ({@code format}: chat or feedback) in rows of 256 tokens, one row a step.
     */
    static Path write(Path dir, String stage, Path model, Path source, String format) {
        Path file = dir.resolve(stage + ".yaml");
        String yaml = "stage: " + stage + "\n"
                + "run:\n  name: " + stage + "\n  output_dir: " + dir.resolve("run-" + stage) + "\n"
                + "model:\n  init: " + model + "\n"
                + "tokenizer:\n  path: " + TestModels.TOKENIZER_FILE + "\n"
                + "data:\n  seq_len: 256\n  chat_template: taiwan-llm\n  sources:\n    - path: " + source + "\n      format: " + format + "\n"
                + "training:\n  max_steps: 1\n  per_device_train_batch_size: 1\n  learning_rate: 1.0e-4\n  warmup_steps: 0\n"
                + "checkpoint:\n  save_steps: 0\n"
                + "device:\n  peak_flops: 1.0e11\n";
        try {
            Files.writeString(file, yaml);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    /** Where the stage's training shards are prepared (data.cache_dir defaults to output_dir/data). */
    static Path shards(Path dir, String stage) {
        return dir.resolve("run-" + stage).resolve("data").resolve(stage + "-train");
    }
}
