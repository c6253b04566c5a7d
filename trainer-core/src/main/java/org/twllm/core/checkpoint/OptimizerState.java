package org.twllm.core.checkpoint;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.twllm.core.io.DType;
import org.twllm.core.io.SafetensorsFile;
import org.twllm.core.io.SafetensorsWriter;
import org.twllm.core.model.FlatFloats;
import org.twllm.errors.TwllmException;
import org.twllm.progress.Progress;

/**
 * AdamW moments in a checkpoint, one safetensors file per saved range of the flat parameter vector:
 * {@code optimizer-<start>-<end>.safetensors} holding {@code exp_avg} and {@code exp_avg_sq} (F32,
 * {@code end - start} elements each) and, in its metadata, {@code start}, {@code end} and
 * {@code updates} (AdamW's bias-correction count). Each rank writes the range it owns; a resumed run,
 * on any world size, assembles the range it owns from whichever saved ranges overlap it.
 */
public final class OptimizerState {
    private static final Pattern NAME = Pattern.compile("optimizer-(\\d+)-(\\d+)\\.safetensors");
    private static final String EXP_AVG = "exp_avg";
    private static final String EXP_AVG_SQ = "exp_avg_sq";

    private final long start;
    private final INDArray expAvg;
    private final INDArray expAvgSq;
    private final long updates;

    /**
     * AdamW's moments of the flat range starting at {@code start} ({@code expAvg.length()} elements, fp32)
     * and its bias-correction update count.
     */
    public OptimizerState(long start, INDArray expAvg, INDArray expAvgSq, long updates) {
        if (expAvg.length() != expAvgSq.length()) {
            throw new IllegalArgumentException("moments differ in length: " + expAvg.length() + " and " + expAvgSq.length());
        }
        this.start = start;
        this.expAvg = expAvg;
        this.expAvgSq = expAvgSq;
        this.updates = updates;
    }

    public INDArray expAvg() {
        return expAvg;
    }

    public INDArray expAvgSq() {
        return expAvgSq;
    }

    /** AdamW's update count when the state was saved. */
    public long updates() {
        return updates;
    }

    static String fileName(long start, long end) {
        return "optimizer-" + start + "-" + end + ".safetensors";
    }

    /** Writes this range into {@code dir}, adding the bytes written to {@code progress}; returns the file written. */
    public Path write(Path dir, Progress progress) {
        long end = start + expAvg.length();
        long[] shape = {end - start};
        Path file = dir.resolve(fileName(start, end));
        SafetensorsWriter.write(file, List.of(
                        new SafetensorsWriter.Tensor(EXP_AVG, shape, source(expAvg)),
                        new SafetensorsWriter.Tensor(EXP_AVG_SQ, shape, source(expAvgSq))),
                DType.F32, Map.of("start", Long.toString(start), "end", Long.toString(end),
                        "updates", Long.toString(updates)), progress);
        return file;
    }

    private static SafetensorsWriter.FloatSource source(INDArray flat) {
        return (from, dst, count) -> FlatFloats.view(flat, from, count).get(dst, 0, count);
    }

    /**
     * The moments of flat range {@code [start, end)} assembled from the range files in {@code dir}.
     * Fails when the saved ranges do not cover it or disagree on the update count.
     */
    public static OptimizerState load(Path dir, long start, long end) {
        INDArray expAvg = Nd4j.zeros(DataType.FLOAT, end - start);
        INDArray expAvgSq = Nd4j.zeros(DataType.FLOAT, end - start);
        List<long[]> covered = new ArrayList<>();
        long updates = -1;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "optimizer-*.safetensors")) {
            for (Path path : files) {
                Matcher m = NAME.matcher(path.getFileName().toString());
                if (!m.matches()) {
                    continue;
                }
                long fileStart = Long.parseLong(m.group(1));
                long fileEnd = Long.parseLong(m.group(2));
                long from = Math.max(start, fileStart);
                long to = Math.min(end, fileEnd);
                try (SafetensorsFile file = SafetensorsFile.open(path)) {
                    long fileUpdates = checkedUpdates(file, fileStart, fileEnd);
                    if (updates >= 0 && fileUpdates != updates) {
                        throw new TwllmException("optimizer state in " + dir + " is inconsistent: " + path.getFileName()
                                + " was saved after " + fileUpdates + " updates, another range after " + updates);
                    }
                    updates = fileUpdates;
                    if (from < to) {
                        copy(file, EXP_AVG, from - fileStart, expAvg, from - start, to - from);
                        copy(file, EXP_AVG_SQ, from - fileStart, expAvgSq, from - start, to - from);
                        covered.add(new long[] {from, to});
                    }
                }
            }
        } catch (IOException e) {
            throw new TwllmException("cannot read optimizer state in " + dir + ": " + e.getMessage(), e);
        }
        requireCovered(dir, covered, start, end);
        return new OptimizerState(start, expAvg, expAvgSq, updates);
    }

    /** The file's update count, after checking that its metadata and tensors match the range in its name. */
    private static long checkedUpdates(SafetensorsFile file, long fileStart, long fileEnd) {
        Map<String, String> meta = file.metadata();
        if (!Long.toString(fileStart).equals(meta.get("start")) || !Long.toString(fileEnd).equals(meta.get("end"))) {
            throw new TwllmException(file.path() + " names range [" + fileStart + ", " + fileEnd + ") but its metadata says "
                    + meta);
        }
        for (String tensor : List.of(EXP_AVG, EXP_AVG_SQ)) {
            SafetensorsFile.TensorInfo t = file.tensors().get(tensor);
            if (t == null || t.dtype() != DType.F32 || t.elements() != fileEnd - fileStart) {
                throw new TwllmException(file.path() + " lacks an F32 tensor " + tensor + " of " + (fileEnd - fileStart) + " elements");
            }
        }
        try {
            return Long.parseLong(meta.get("updates"));
        } catch (NumberFormatException e) {
            throw new TwllmException(file.path() + " has no valid 'updates' in its metadata: " + meta);
        }
    }

    private static void copy(SafetensorsFile file, String tensor, long fileOffset, INDArray target, long targetOffset, long n) {
        float[] buf = new float[(int) Math.min(n, FlatFloats.CHUNK)];
        for (long s = 0; s < n; s += buf.length) {
            int len = (int) Math.min(buf.length, n - s);
            file.read(tensor, fileOffset + s, buf, len);
            FlatFloats.view(target, targetOffset + s, len).put(buf, 0, len);
        }
    }

    private static void requireCovered(Path dir, List<long[]> covered, long start, long end) {
        covered.sort((a, b) -> Long.compare(a[0], b[0]));
        long reached = start;
        for (long[] r : covered) {
            if (r[0] > reached) {
                break;
            }
            reached = Math.max(reached, r[1]);
        }
        if (reached < end) {
            throw new TwllmException("checkpoint " + dir + " holds no optimizer state for parameters [" + reached + ", "
                    + end + "); was it saved by every rank?");
        }
    }
}
