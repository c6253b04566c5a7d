package org.twllm.core.checkpoint;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.twllm.core.train.AdamW;
import org.twllm.core.train.FlatFloats;
import org.twllm.errors.TwllmException;

/**
 * AdamW moments in a checkpoint, one safetensors file per saved range of the flat parameter vector:
 * {@code optimizer-<start>-<end>.safetensors} holding {@code exp_avg} and {@code exp_avg_sq} (F32,
 * {@code end - start} elements each) and, in its metadata, {@code start}, {@code end} and
 * {@code updates} (AdamW's bias-correction count). Each rank writes the range it owns; a resumed run,
 * on any world size, assembles the range it owns from whichever saved ranges overlap it.
 */
public final class OptimizerState {
    private static final Pattern NAME = Pattern.compile("optimizer-(\\d+)-(\\d+)\\.safetensors");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final INDArray expAvg;
    private final INDArray expAvgSq;
    private final long updates;

    private OptimizerState(INDArray expAvg, INDArray expAvgSq, long updates) {
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

    /** Writes the optimizer's owned range into {@code dir}; returns the file written. */
    public static Path write(Path dir, AdamW optimizer) throws IOException {
        long start = optimizer.start();
        long end = optimizer.end();
        long n = end - start;
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("__metadata__", Map.of("start", Long.toString(start), "end", Long.toString(end),
                "updates", Long.toString(optimizer.updates())));
        header.put("exp_avg", Map.of("dtype", "F32", "shape", List.of(n), "data_offsets", List.of(0L, 4 * n)));
        header.put("exp_avg_sq", Map.of("dtype", "F32", "shape", List.of(n), "data_offsets", List.of(4 * n, 8 * n)));
        byte[] json = padded(JSON.writeValueAsBytes(header));
        Path file = dir.resolve(fileName(start, end));
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            ByteBuffer head = ByteBuffer.allocate(8 + json.length).order(ByteOrder.LITTLE_ENDIAN);
            head.putLong(json.length).put(json).flip();
            writeFully(ch, head);
            writeFloats(ch, optimizer.expAvg(), n);
            writeFloats(ch, optimizer.expAvgSq(), n);
        }
        return file;
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
            for (Path file : files) {
                Matcher m = NAME.matcher(file.getFileName().toString());
                if (!m.matches()) {
                    continue;
                }
                long fileStart = Long.parseLong(m.group(1));
                long fileEnd = Long.parseLong(m.group(2));
                long from = Math.max(start, fileStart);
                long to = Math.min(end, fileEnd);
                long fileUpdates = readRange(file, fileStart, fileEnd, from, to, start, expAvg, expAvgSq);
                if (updates >= 0 && fileUpdates != updates) {
                    throw new TwllmException("optimizer state in " + dir + " is inconsistent: " + file.getFileName()
                            + " was saved after " + fileUpdates + " updates, another range after " + updates);
                }
                updates = fileUpdates;
                if (from < to) {
                    covered.add(new long[] {from, to});
                }
            }
        } catch (IOException e) {
            throw new TwllmException("cannot read optimizer state in " + dir + ": " + e.getMessage(), e);
        }
        requireCovered(dir, covered, start, end);
        return new OptimizerState(expAvg, expAvgSq, updates);
    }

    private static long readRange(Path file, long fileStart, long fileEnd, long from, long to, long targetStart,
                                  INDArray expAvg, INDArray expAvgSq) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0);
            long headerLen = lenBuf.getLong(0);
            if (headerLen <= 0 || headerLen > 1 << 20 || 8 + headerLen > ch.size()) {
                throw new TwllmException(file + " is not a safetensors file (bad header length " + headerLen + ")");
            }
            ByteBuffer headerBuf = ByteBuffer.allocate((int) headerLen);
            readFully(ch, headerBuf, 8);
            JsonNode header = JSON.readTree(new String(headerBuf.array(), StandardCharsets.UTF_8));
            JsonNode meta = header.path("__metadata__");
            if (meta.path("start").asLong(-1) != fileStart || meta.path("end").asLong(-1) != fileEnd) {
                throw new TwllmException(file + " names range [" + fileStart + ", " + fileEnd + ") but its metadata says "
                        + meta);
            }
            long n = fileEnd - fileStart;
            long dataStart = 8 + headerLen;
            if (ch.size() != dataStart + 8 * n) {
                throw new TwllmException(file + " is truncated: " + ch.size() + " bytes, expected " + (dataStart + 8 * n));
            }
            if (from < to) {
                long expAvgOffset = dataStart + header.path("exp_avg").path("data_offsets").path(0).asLong();
                long expAvgSqOffset = dataStart + header.path("exp_avg_sq").path("data_offsets").path(0).asLong();
                copyFloats(ch, expAvgOffset + 4 * (from - fileStart), expAvg, from - targetStart, to - from);
                copyFloats(ch, expAvgSqOffset + 4 * (from - fileStart), expAvgSq, from - targetStart, to - from);
            }
            return Long.parseLong(meta.path("updates").asText("0"));
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

    private static void writeFloats(FileChannel ch, INDArray flat, long n) throws IOException {
        ByteBuffer buf = ByteBuffer.allocateDirect(4 * FlatFloats.CHUNK).order(ByteOrder.LITTLE_ENDIAN);
        for (long s = 0; s < n; s += FlatFloats.CHUNK) {
            int len = (int) Math.min(FlatFloats.CHUNK, n - s);
            buf.clear();
            buf.asFloatBuffer().put(FlatFloats.view(flat, s, len));
            buf.limit(4 * len);
            writeFully(ch, buf);
        }
    }

    private static void copyFloats(FileChannel ch, long fileOffset, INDArray target, long targetOffset, long n) throws IOException {
        ByteBuffer buf = ByteBuffer.allocateDirect(4 * FlatFloats.CHUNK).order(ByteOrder.LITTLE_ENDIAN);
        for (long s = 0; s < n; s += FlatFloats.CHUNK) {
            int len = (int) Math.min(FlatFloats.CHUNK, n - s);
            buf.clear().limit(4 * len);
            readFully(ch, buf, fileOffset + 4 * s);
            buf.flip();
            FloatBuffer dst = FlatFloats.view(target, targetOffset + s, len);
            dst.put(buf.asFloatBuffer());
        }
    }

    /** Pads the JSON header with spaces to a multiple of 8 bytes, as the safetensors format recommends. */
    private static byte[] padded(byte[] json) {
        int len = (json.length + 7) / 8 * 8;
        byte[] out = new byte[len];
        System.arraycopy(json, 0, out, 0, json.length);
        for (int i = json.length; i < len; i++) {
            out[i] = ' ';
        }
        return out;
    }

    private static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
        long pos = position;
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos);
            if (n < 0) {
                throw new IOException("unexpected end of file");
            }
            pos += n;
        }
    }
}
