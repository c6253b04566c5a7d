package org.twllm.core.checkpoint;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.twllm.core.engine.OwnedTensor;
import org.twllm.core.io.DType;
import org.twllm.core.io.SafetensorsFile;
import org.twllm.core.io.SafetensorsWriter;
import org.twllm.errors.TwllmException;
import org.twllm.progress.Progress;

/**
 * The fp32 partition state in a checkpoint, one safetensors file per saved range of the flat layout:
 * {@code optimizer-<start>-<end>.safetensors} holding {@code master} (the fp32 master weights; in fp32 runs the
 * weights themselves), {@code exp_avg} and {@code exp_avg_sq} (F32, {@code end - start} elements each) and, in its
 * metadata, {@code start}, {@code end} and {@code updates} (AdamW's bias-correction count). Each rank writes the
 * range it owns; a resumed run, on any world size and any engine, assembles the range it owns from whichever saved
 * ranges overlap it. Files of twllm versions before the master weights hold only the moments.
 */
public final class OptimizerState implements AutoCloseable {
    private static final Pattern NAME = Pattern.compile("optimizer-(\\d+)-(\\d+)\\.safetensors");
    private static final int CHUNK = 1 << 20;

    /** Where a range's state is read from when saving: an engine's owned partition ({@code Engine::readOwned}). */
    @FunctionalInterface
    public interface Source {
        void read(OwnedTensor tensor, long offset, float[] dst, int count);
    }

    /** Where restored state goes: an engine's owned partition ({@code Engine::writeOwned}). */
    @FunctionalInterface
    public interface Target {
        void write(OwnedTensor tensor, long offset, float[] src, int count);
    }

    /** One saved range, open. */
    private record Saved(long start, long end, SafetensorsFile file) {
    }

    private final Path dir;
    private final List<Saved> ranges;
    private final long updates;
    private final boolean hasMaster;

    private OptimizerState(Path dir, List<Saved> ranges, long updates, boolean hasMaster) {
        this.dir = dir;
        this.ranges = ranges;
        this.updates = updates;
        this.hasMaster = hasMaster;
    }

    static String fileName(long start, long end) {
        return "optimizer-" + start + "-" + end + ".safetensors";
    }

    /** The file's tensor name of {@code tensor}. */
    static String tensorName(OwnedTensor tensor) {
        return switch (tensor) {
            case MASTER -> "master";
            case EXP_AVG -> "exp_avg";
            case EXP_AVG_SQ -> "exp_avg_sq";
        };
    }

    /**
     * Writes the state of flat range {@code [start, end)} after {@code updates} AdamW updates into {@code dir},
     * adding the bytes written to {@code progress}; returns the file written.
     */
    public static Path write(Path dir, long start, long end, long updates, Source source, Progress progress) {
        long[] shape = {end - start};
        List<SafetensorsWriter.Tensor> tensors = new ArrayList<>();
        for (OwnedTensor t : OwnedTensor.values()) {
            tensors.add(new SafetensorsWriter.Tensor(tensorName(t), shape, (from, dst, count) -> source.read(t, from, dst, count)));
        }
        Path file = dir.resolve(fileName(start, end));
        SafetensorsWriter.write(file, tensors, DType.F32, Map.of("start", Long.toString(start), "end", Long.toString(end),
                "updates", Long.toString(updates)), progress);
        return file;
    }

    /** Bytes {@link #write} writes for a range of {@code elements}. */
    public static long bytes(long elements) {
        return OwnedTensor.values().length * elements * DType.F32.bytes();
    }

    /** Opens every saved range in {@code dir}; fails when they disagree on the update count or are malformed. */
    public static OptimizerState open(Path dir) {
        List<Saved> ranges = new ArrayList<>();
        long updates = -1;
        Boolean master = null;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "optimizer-*.safetensors")) {
            for (Path path : files) {
                Matcher m = NAME.matcher(path.getFileName().toString());
                if (!m.matches()) {
                    continue;
                }
                long start = Long.parseLong(m.group(1));
                long end = Long.parseLong(m.group(2));
                SafetensorsFile file = SafetensorsFile.open(path);
                ranges.add(new Saved(start, end, file));
                long fileUpdates = checkedUpdates(file, start, end);
                if (updates >= 0 && fileUpdates != updates) {
                    throw new TwllmException("optimizer state in " + dir + " is inconsistent: " + path.getFileName()
                            + " was saved after " + fileUpdates + " updates, another range after " + updates);
                }
                updates = fileUpdates;
                boolean fileHasMaster = file.tensors().containsKey(tensorName(OwnedTensor.MASTER));
                if (master != null && master != fileHasMaster) {
                    throw new TwllmException("optimizer state in " + dir + " is inconsistent: some ranges hold master weights,"
                            + " others do not");
                }
                master = fileHasMaster;
            }
        } catch (IOException e) {
            ranges.forEach(r -> r.file().close());
            throw new TwllmException("cannot read optimizer state in " + dir + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            ranges.forEach(r -> r.file().close());
            throw e;
        }
        ranges.sort(Comparator.comparingLong(Saved::start));
        return new OptimizerState(dir, ranges, Math.max(updates, 0), Boolean.TRUE.equals(master));
    }

    /** AdamW's update count when the state was saved. */
    public long updates() {
        return updates;
    }

    /** Whether the ranges hold master weights (every twllm that trains bf16 saves them). */
    public boolean hasMaster() {
        return hasMaster;
    }

    /**
     * Copies {@code tensor}'s state of flat range {@code [start, end)} into {@code target} (partition offset 0 =
     * {@code start}), chunk by chunk, from whichever saved ranges cover it. Fails, naming the gap, when they do not.
     */
    public void restore(OwnedTensor tensor, long start, long end, Target target) {
        requireCovered(start, end);
        float[] buf = new float[(int) Math.min(CHUNK, Math.max(1, end - start))];
        for (Saved r : ranges) {
            long from = Math.max(start, r.start());
            long to = Math.min(end, r.end());
            for (long s = from; s < to; s += buf.length) {
                int n = (int) Math.min(buf.length, to - s);
                r.file().read(tensorName(tensor), s - r.start(), buf, n);
                target.write(tensor, s - start, buf, n);
            }
        }
    }

    /** Reads {@code count} values of {@code tensor} from flat element {@code offset} (which the ranges must cover). */
    public void read(OwnedTensor tensor, long offset, float[] dst, int count) {
        restore(tensor, offset, offset + count, (t, o, src, n) -> System.arraycopy(src, 0, dst, (int) o, n));
    }

    /** The file's update count, after checking that its metadata and tensors match the range in its name. */
    private static long checkedUpdates(SafetensorsFile file, long fileStart, long fileEnd) {
        Map<String, String> meta = file.metadata();
        if (!Long.toString(fileStart).equals(meta.get("start")) || !Long.toString(fileEnd).equals(meta.get("end"))) {
            throw new TwllmException(file.path() + " names range [" + fileStart + ", " + fileEnd + ") but its metadata says "
                    + meta);
        }
        for (OwnedTensor t : OwnedTensor.values()) {
            SafetensorsFile.TensorInfo info = file.tensors().get(tensorName(t));
            if (info != null && (info.dtype() != DType.F32 || info.elements() != fileEnd - fileStart)
                    || info == null && t != OwnedTensor.MASTER) {
                throw new TwllmException(file.path() + " lacks an F32 tensor " + tensorName(t) + " of " + (fileEnd - fileStart)
                        + " elements");
            }
        }
        try {
            return Long.parseLong(meta.get("updates"));
        } catch (NumberFormatException e) {
            throw new TwllmException(file.path() + " has no valid 'updates' in its metadata: " + meta);
        }
    }

    private void requireCovered(long start, long end) {
        long reached = start;
        for (Saved r : ranges) {
            if (r.start() > reached) {
                break;
            }
            reached = Math.max(reached, r.end());
        }
        if (reached < end) {
            throw new TwllmException("checkpoint " + dir + " holds no optimizer state for parameters [" + reached + ", "
                    + end + "); was it saved by every rank?");
        }
    }

    @Override
    public void close() {
        ranges.forEach(r -> r.file().close());
    }
}
