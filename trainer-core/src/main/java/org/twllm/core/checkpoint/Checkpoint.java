package org.twllm.core.checkpoint;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.twllm.core.io.HfModelDirectory;
import org.twllm.core.engine.Engine;
import org.twllm.core.engine.EngineSettings;
import org.twllm.core.engine.Engines;
import org.twllm.core.engine.LlamaConfig;
import org.twllm.errors.ConfigException;

/**
 * A complete, verified checkpoint directory:
 * <pre>
 *   checkpoint-00000100/
 *     config.json, model.safetensors        the model, HF Llama layout (loadable as a model directory)
 *     tokenizer.model                       the run's tokenizer
 *     tokenizer_config.json,                what HF tools need to tokenize, chat and generate
 *     generation_config.json                (see HfInferenceFiles)
 *     optimizer-START-END.safetensors       fp32 master weights and AdamW moments of flat range [START, END),
 *                                           one per saving rank (OptimizerState)
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

    /**
     * Opens {@code dir}, verifying that every file its trainer state lists is present and intact.
     *
     * @throws ConfigException           when {@code dir} is not a checkpoint directory at all
     * @throws DamagedCheckpointException when a file is missing, unreadable or not what was saved
     */
    public static Checkpoint open(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new ConfigException("checkpoint " + dir + " does not exist; pass a checkpoint-NNNNNNNN directory");
        }
        if (!isCheckpoint(dir)) {
            throw new ConfigException(dir + " is not a complete twllm checkpoint (it has no " + TrainerState.FILE_NAME
                    + "); pass a checkpoint-NNNNNNNN directory written by twllm train");
        }
        return verified(dir);
    }

    /**
     * The model of an HF model directory on the CPU engine, forward only, for {@code score}, {@code generate} and
     * the like. A twllm checkpoint directory (one with a trainer state) has every file verified first, so a
     * damaged checkpoint is refused instead of loaded silently.
     */
    public static Engine loadModel(Path modelDir) {
        LlamaConfig config = modelConfig(modelDir);
        Engine engine = Engines.cpu().create(config, EngineSettings.inference(1, config.maxPositionEmbeddings()));
        try {
            HfModelDirectory.loadWeights(modelDir, engine.layout(), engine::writeWeights);
        } catch (RuntimeException e) {
            engine.close();
            throw e;
        }
        return engine;
    }

    /** The shape of the model in {@code modelDir}, after verifying it when it is a twllm checkpoint. */
    public static LlamaConfig modelConfig(Path modelDir) {
        if (isCheckpoint(modelDir)) {
            verified(modelDir);
        }
        return HfModelDirectory.readConfig(modelDir);
    }

    /** {@code dir} verified against its trainer state; a missing trainer state is damage too. */
    static Checkpoint verified(Path dir) {
        Path stateFile = dir.resolve(TrainerState.FILE_NAME);
        if (!Files.isRegularFile(stateFile)) {
            throw new DamagedCheckpointException(dir, TrainerState.FILE_NAME + " is missing");
        }
        TrainerState state = TrainerState.read(stateFile);
        for (Map.Entry<String, String> e : state.files().entrySet()) {
            Path file = dir.resolve(e.getKey());
            if (!Files.isRegularFile(file)) {
                throw new DamagedCheckpointException(dir, e.getKey() + " is missing");
            }
            String actual;
            try {
                actual = FileChecksum.crc32c(file);
            } catch (IOException ex) {
                throw new DamagedCheckpointException(dir, e.getKey() + " cannot be read (" + ex.getMessage() + ")");
            }
            if (!actual.equals(e.getValue())) {
                throw new DamagedCheckpointException(dir, e.getKey() + " has CRC32C " + actual + ", expected " + e.getValue());
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

    /** The saved partition state (master weights and AdamW moments) of every rank, open; close it after use. */
    public OptimizerState optimizerState() {
        return OptimizerState.open(dir);
    }
}
