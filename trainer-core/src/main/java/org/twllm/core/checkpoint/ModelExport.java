package org.twllm.core.checkpoint;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

import org.twllm.core.engine.LlamaConfig;
import org.twllm.core.engine.OwnedTensor;
import org.twllm.core.io.DType;
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
 * trained) unless another dtype is asked for: an fp32 export of a bf16 run writes the checkpoint's fp32 master
 * weights, a bf16 export of an fp32 run its weights rounded to nearest even. A checkpoint from a twllm that did not
 * write the last two files gets them written from its tokenizer, without a chat template. The output appears
 * atomically.
 */
public final class ModelExport {

    /** Bytes copied between progress updates. */
    private static final long COPY_CHUNK = 64L << 20;

    private ModelExport() {
    }

    /** Exports {@code checkpoint} into {@code out} in the run's dtype, replacing an earlier export there (never any other directory). */
    public static void export(Checkpoint checkpoint, Path out) {
        export(checkpoint, out, null, ProgressOutput.none());
    }

    /**
     * As {@link #export(Checkpoint, Path)} with the weights in {@code dtype} (F32 or BF16; null: as the run stored them,
     * its precision); a long copy shows the bytes written on {@code progress}.
     */
    public static void export(Checkpoint checkpoint, Path out, DType dtype, ProgressOutput progress) {
        out = out.toAbsolutePath().normalize();
        try {
            if (Files.exists(out)) {
                if (!isExport(out)) {
                    throw new ConfigException("export target " + out + " exists and is not a model directory written by"
                            + " twllm export; choose a new or empty directory");
                }
            }
            Files.createDirectories(out.getParent());
            DType stored = HfModelDirectory.storedDType(checkpoint.dir());
            boolean convert = dtype != null && dtype != stored;
            Path temp = AtomicDirectory.begin(out, AtomicDirectory.processToken());
            List<Path> copied = new ArrayList<>();
            long bytes = 0;
            try (DirectoryStream<Path> files = Files.newDirectoryStream(checkpoint.dir())) {
                for (Path f : files) {
                    String name = f.getFileName().toString();
                    if (isModelFile(name) && !convert || name.equals(Checkpoint.TOKENIZER_FILE)
                            || name.equals(HfInferenceFiles.TOKENIZER_CONFIG) || name.equals(HfInferenceFiles.GENERATION_CONFIG)) {
                        copied.add(f);
                        bytes += Files.size(f);
                    }
                }
            }
            LlamaConfig config = HfModelDirectory.readConfig(checkpoint.dir());
            if (convert) {
                bytes += config.numParameters() * dtype.bytes();
            }
            try (Progress shown = progress.start("export " + out.getFileName(), null, bytes)) {
                for (Path f : copied) {
                    copy(f, temp.resolve(f.getFileName().toString()), shown);
                }
                if (convert) {
                    writeModel(checkpoint, config, stored, dtype, temp, shown);
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

    /**
     * The model in {@code dtype} into {@code dir}: from the fp32 master weights when widening a bf16 model (the bf16
     * copy lost their low bits), else converted from the checkpoint's model.
     */
    private static void writeModel(Checkpoint checkpoint, LlamaConfig config, DType stored, DType dtype, Path dir, Progress shown) {
        if (dtype == DType.F32 && stored != DType.F32) {
            try (OptimizerState state = checkpoint.optimizerState()) {
                if (!state.hasMaster()) {
                    throw new TwllmException(checkpoint.dir() + " holds no fp32 master weights (saved by an older twllm), so"
                            + " its " + stored.torchName() + " model cannot be exported as fp32 exactly; export it with --dtype "
                            + (stored == DType.BF16 ? "bf16" : stored.torchName()));
                }
                HfModelDirectory.save(config, (offset, dst, count) -> state.read(OwnedTensor.MASTER, offset, dst, count), dir,
                        dtype, shown);
            }
        } else {
            HfModelDirectory.convert(checkpoint.dir(), dir, dtype, shown);
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
