package org.twllm.core.checkpoint;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.twllm.errors.TwllmException;

/**
 * {@code trainer_state.json}: where a run stands after {@code step} optimizer steps, and a CRC32C of every
 * other file of the checkpoint (written last, so its presence marks a complete checkpoint).
 *
 * <p>The trainer draws no random numbers while training (no dropout; the sample order is a pure function
 * of the seed and the epoch), so the seed and the consumed-sample count are the whole RNG state.
 *
 * @param step              optimizer steps done (skipped ones included)
 * @param consumedSamples   samples of the global order consumed so far
 * @param tokens            trained tokens so far
 * @param skippedSteps      steps skipped for a non-finite loss or gradient
 * @param elapsedS          training wall time so far, seconds
 * @param seed              the run's seed (sample order, random init)
 * @param configFingerprint {@code StageConfig.fingerprint()} of the run that saved it
 * @param worldSize         ranks that saved it
 * @param codeVersion       twllm version that saved it
 * @param files             file name -> CRC32C (hex) of every other file in the checkpoint
 */
public record TrainerState(
        long step,
        long consumedSamples,
        long tokens,
        long skippedSteps,
        double elapsedS,
        long seed,
        String configFingerprint,
        int worldSize,
        String codeVersion,
        Map<String, String> files) {

    public static final String FILE_NAME = "trainer_state.json";
    static final int FORMAT_VERSION = 1;
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public TrainerState {
        files = Map.copyOf(files);
    }

    /** The same state with the given file checksums. */
    TrainerState withFiles(Map<String, String> checksums) {
        return new TrainerState(step, consumedSamples, tokens, skippedSteps, elapsedS, seed, configFingerprint,
                worldSize, codeVersion, checksums);
    }

    /** The version of the running code, recorded in each checkpoint. */
    public static String currentCodeVersion() {
        String v = TrainerState.class.getPackage().getImplementationVersion();
        return v == null ? "0.1.0-SNAPSHOT" : v;
    }

    void write(Path file) throws IOException {
        ObjectNode n = JSON.createObjectNode();
        n.put("format_version", FORMAT_VERSION);
        n.put("step", step);
        n.put("consumed_samples", consumedSamples);
        n.put("tokens", tokens);
        n.put("skipped_steps", skippedSteps);
        n.put("elapsed_s", elapsedS);
        n.putObject("rng").put("seed", seed);
        n.put("config_fingerprint", configFingerprint);
        n.put("world_size", worldSize);
        n.put("code_version", codeVersion);
        ObjectNode f = n.putObject("files");
        new TreeMap<>(files).forEach(f::put);
        Files.write(file, JSON.writeValueAsBytes(n));
    }

    static TrainerState read(Path file) {
        JsonNode n;
        try {
            n = JSON.readTree(file.toFile());
        } catch (IOException e) {
            String why = e instanceof com.fasterxml.jackson.core.JsonProcessingException json ? json.getOriginalMessage() : e.getMessage();
            throw new DamagedCheckpointException(file.getParent(), FILE_NAME + " cannot be read (" + why + ")");
        }
        if (n == null || !n.isObject()) {
            throw new DamagedCheckpointException(file.getParent(), FILE_NAME + " is empty or not a JSON object");
        }
        if (n.path("format_version").asInt() != FORMAT_VERSION) {
            throw new TwllmException(file + " has format_version " + n.path("format_version") + "; this twllm reads "
                    + FORMAT_VERSION);
        }
        Map<String, String> files = new TreeMap<>();
        n.path("files").fields().forEachRemaining(e -> files.put(e.getKey(), e.getValue().asText()));
        return new TrainerState(
                n.path("step").asLong(),
                n.path("consumed_samples").asLong(),
                n.path("tokens").asLong(),
                n.path("skipped_steps").asLong(),
                n.path("elapsed_s").asDouble(),
                n.path("rng").path("seed").asLong(),
                n.path("config_fingerprint").asText(),
                n.path("world_size").asInt(),
                n.path("code_version").asText(),
                files);
    }
}
