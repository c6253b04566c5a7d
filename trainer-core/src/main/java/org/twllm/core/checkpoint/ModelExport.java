package org.twllm.core.checkpoint;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

import org.twllm.core.io.HfModelDirectory;
import org.twllm.data.tokenizer.SentencePieceTokenizer;
import org.twllm.errors.ConfigException;
import org.twllm.errors.TwllmException;
import org.twllm.files.AtomicFiles;

/**
 * Writes a HuggingFace Llama directory from a checkpoint: {@code config.json}, the model's safetensors
 * (and index when sharded), {@code tokenizer.model}, {@code tokenizer_config.json} (with the SFT stage's
 * chat template) and {@code generation_config.json} (see {@link HfInferenceFiles}), so {@code transformers}'
 * {@code AutoModelForCausalLM} / {@code AutoTokenizer} and {@code twllm score} load it. The checkpoint already
 * holds all of these, so its verified files are copied byte for byte (the weights stay exactly what was
 * trained). A checkpoint from a twllm that did not write the last two gets them written from its tokenizer,
 * without a chat template. The output appears atomically.
 */
public final class ModelExport {

    private ModelExport() {
    }

    /** Exports {@code checkpoint} into {@code out}, replacing an earlier export there (never any other directory). */
    public static void export(Checkpoint checkpoint, Path out) {
        out = out.toAbsolutePath().normalize();
        try {
            if (Files.exists(out)) {
                if (!isExport(out)) {
                    throw new ConfigException("export target " + out + " exists and is not a model directory written by"
                            + " twllm export; choose a new or empty directory");
                }
            }
            Files.createDirectories(out.getParent());
            Path temp = AtomicDirectory.begin(out);
            try (DirectoryStream<Path> files = Files.newDirectoryStream(checkpoint.dir())) {
                for (Path f : files) {
                    String name = f.getFileName().toString();
                    if (isModelFile(name) || name.equals(Checkpoint.TOKENIZER_FILE) || name.equals(HfInferenceFiles.TOKENIZER_CONFIG)
                            || name.equals(HfInferenceFiles.GENERATION_CONFIG)) {
                        Files.copy(f, temp.resolve(name));
                    }
                }
            }
            if (!Files.exists(temp.resolve(HfInferenceFiles.TOKENIZER_CONFIG))) {
                HfInferenceFiles.of(SentencePieceTokenizer.load(checkpoint.tokenizerFile()), null,
                        HfModelDirectory.readConfig(checkpoint.dir()).maxPositionEmbeddings()).writeTo(temp);
            }
            if (Files.exists(out)) {
                AtomicDirectory.removeAtomically(out);
            }
            AtomicFiles.commitDirectory(temp, out);
        } catch (IOException e) {
            throw new TwllmException("cannot export " + checkpoint.dir() + " to " + out + ": " + e.getMessage(), e);
        }
    }

    /** Files of the HF model: config.json, model.safetensors, model-0000X-of-0000N.safetensors and their index. */
    static boolean isModelFile(String name) {
        return name.equals("config.json") || (name.startsWith("model") && name.endsWith(".safetensors"))
                || name.equals("model.safetensors.index.json");
    }

    private static boolean isExport(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            if (!entries.iterator().hasNext()) {
                return true;
            }
        }
        return Files.isRegularFile(dir.resolve(HfModelDirectory.CONFIG))
                && Files.isRegularFile(dir.resolve(HfInferenceFiles.TOKENIZER_CONFIG));
    }
}
