package org.twllm.core.checkpoint;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.twllm.errors.ConfigException;
import org.twllm.errors.TwllmException;

/**
 * A complete, verified checkpoint directory:
 * <pre>
 *   checkpoint-00000100/
 *     config.json, model.safetensors        the model, HF Llama layout (loadable as a model directory)
 *     tokenizer.model                       the run's tokenizer
 *     tokenizer_config.json,                what HF tools need to tokenize, chat and generate
 *     generation_config.json                (see HfInferenceFiles)
 *     optimizer-START-END.safetensors       AdamW moments of flat range [START, END), one per saving rank
 *     stage_config.yaml                     the run's resolved config
 *     trainer_state.json                    written last: step, counters, seed, fingerprint, checksums
 * </pre>
 */
public record Checkpoint(Path dir, TrainerState state) {
    public static final String CONFIG_FILE = "stage_config.yaml";
    public static final String TOKENIZER_FILE = "tokenizer.model";
    public static final String PREFIX = "checkpoint-";

    /** The directory name of the checkpoint after {@code step} steps. */
    public static String dirName(long step) {
        return String.format("%s%08d", PREFIX, step);
    }

    /** Whether {@code dir} looks like a twllm checkpoint (it has a trainer state). */
    public static boolean isCheckpoint(Path dir) {
        return Files.isRegularFile(dir.resolve(TrainerState.FILE_NAME));
    }

    /** Opens {@code dir}, verifying that every file its trainer state lists is present and intact. */
    public static Checkpoint open(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new ConfigException("checkpoint " + dir + " does not exist; pass a checkpoint-NNNNNNNN directory");
        }
        if (!isCheckpoint(dir)) {
            throw new ConfigException(dir + " is not a complete twllm checkpoint (it has no " + TrainerState.FILE_NAME
                    + "); pass a checkpoint-NNNNNNNN directory written by twllm train");
        }
        TrainerState state = TrainerState.read(dir.resolve(TrainerState.FILE_NAME));
        for (Map.Entry<String, String> e : state.files().entrySet()) {
            Path file = dir.resolve(e.getKey());
            if (!Files.isRegularFile(file)) {
                throw new TwllmException("checkpoint " + dir + " is damaged: " + e.getKey() + " is missing");
            }
            try {
                String actual = FileChecksum.crc32c(file);
                if (!actual.equals(e.getValue())) {
                    throw new TwllmException("checkpoint " + dir + " is damaged: " + e.getKey() + " has CRC32C " + actual
                            + ", expected " + e.getValue());
                }
            } catch (IOException ex) {
                throw new TwllmException("cannot read " + file + ": " + ex.getMessage(), ex);
            }
        }
        return new Checkpoint(dir, state);
    }

    public long step() {
        return state.step();
    }

    /** The directory to load the model from (the checkpoint itself: config.json + model.safetensors). */
    public Path modelDir() {
        return dir;
    }

    public Path tokenizerFile() {
        return dir.resolve(TOKENIZER_FILE);
    }

    public Path configFile() {
        return dir.resolve(CONFIG_FILE);
    }

    /** AdamW moments for the flat range {@code [start, end)}, assembled from the saved ranges. */
    public OptimizerState optimizerState(long start, long end) {
        return OptimizerState.load(dir, start, end);
    }
}
