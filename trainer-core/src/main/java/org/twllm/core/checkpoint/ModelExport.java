package org.twllm.core.checkpoint;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

import org.twllm.core.io.HfModelDirectory;
import org.twllm.data.tokenizer.SentencePieceTokenizer;
import org.twllm.errors.ConfigException;
import org.twllm.errors.TwllmException;
import org.twllm.files.AtomicFiles;
import org.twllm.progress.Progress;
import org.twllm.progress.ProgressOutput;

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

    /** Bytes copied between progress updates. */
    private static final long COPY_CHUNK = 64L << 20;

    private ModelExport() {
    }

    /** Exports {@code checkpoint} into {@code out}, replacing an earlier export there (never any other directory). */
    public static void export(Checkpoint checkpoint, Path out) {
        export(checkpoint, out, ProgressOutput.none());
    }

    /** As {@link #export(Checkpoint, Path)}; a long copy shows the bytes copied on {@code progress}. */
    public static void export(Checkpoint checkpoint, Path out, ProgressOutput progress) {
        out = out.toAbsolutePath().normalize();
        try {
            if (Files.exists(out)) {
                if (!isExport(out)) {
                    throw new ConfigException("export target " + out + " exists and is not a model directory written by"
                            + " twllm export; choose a new or empty directory");
                }
            }
            Files.createDirectories(out.getParent());
            Path temp = AtomicDirectory.begin(out, AtomicDirectory.processToken());
            List<Path> copied = new ArrayList<>();
            long bytes = 0;
            try (DirectoryStream<Path> files = Files.newDirectoryStream(checkpoint.dir())) {
                for (Path f : files) {
                    String name = f.getFileName().toString();
                    if (isModelFile(name) || name.equals(Checkpoint.TOKENIZER_FILE) || name.equals(HfInferenceFiles.TOKENIZER_CONFIG)
                            || name.equals(HfInferenceFiles.GENERATION_CONFIG)) {
                        copied.add(f);
                        bytes += Files.size(f);
                    }
                }
            }
            try (Progress shown = progress.start("export " + out.getFileName(), null, bytes)) {
                for (Path f : copied) {
                    copy(f, temp.resolve(f.getFileName().toString()), shown);
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

    /** Copies {@code from} to the new file {@code to} in chunks, adding each chunk to {@code shown}. */
    private static void copy(Path from, Path to, Progress shown) throws IOException {
        try (FileChannel in = FileChannel.open(from, StandardOpenOption.READ);
             FileChannel outFile = FileChannel.open(to, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            long size = in.size();
            for (long done = 0; done < size; ) {
                long n = in.transferTo(done, Math.min(COPY_CHUNK, size - done), outFile);
                done += n;
                shown.advance(0, n);
            }
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
