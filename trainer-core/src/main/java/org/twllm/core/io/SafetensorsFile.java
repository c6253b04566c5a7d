package org.twllm.core.io;

import org.twllm.core.engine.Bf16;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.twllm.errors.ConfigException;
import org.twllm.errors.TwllmException;

/**
 * A safetensors file opened for reading: a little-endian u64 header length, a JSON header
 * ({@code name -> {dtype, shape, data_offsets}}), then the raw tensor bytes. The header is validated
 * against the file size when opened; tensor data is memory-mapped a section at a time while read,
 * so a 13B checkpoint never needs its size in heap.
 */
public final class SafetensorsFile implements AutoCloseable {
    /** Largest header we accept (the format's reference implementation uses 100 MB). */
    private static final long MAX_HEADER = 100L << 20;
    /** Bytes mapped at once while reading a tensor. */
    private static final int SECTION_BYTES = 64 << 20;

    /** Where one tensor lies: {@code begin} is relative to the file's data section. */
    public record TensorInfo(String name, DType dtype, long[] shape, long begin, long end) {
        public long elements() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }
    }

    private final Path path;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;

    private SafetensorsFile(Path path, FileChannel channel, long dataStart, Map<String, TensorInfo> tensors,
            Map<String, String> metadata) {
        this.path = path;
        this.channel = channel;
        this.dataStart = dataStart;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    public static SafetensorsFile open(Path path) {
        if (!Files.isRegularFile(path)) {
            throw new ConfigException(path + " does not exist or is not a file");
        }
        FileChannel ch = null;
        try {
            ch = FileChannel.open(path, StandardOpenOption.READ);
            long size = ch.size();
            if (size < 8) {
                throw corrupt(path, "it is " + size + " bytes long, shorter than the 8-byte header length");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0);
            long headerLen = lenBuf.getLong(0);
            if (headerLen <= 0 || headerLen > MAX_HEADER || 8 + headerLen > size) {
                throw corrupt(path, "its header length " + headerLen + " does not fit the file size " + size);
            }
            ByteBuffer header = ByteBuffer.allocate((int) headerLen);
            readFully(ch, header, 8);
            JsonNode root;
            try {
                root = new ObjectMapper().readTree(new String(header.array(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw corrupt(path, "its header is not valid JSON (" + e.getMessage() + ")");
            }
            if (root == null || !root.isObject()) {
                throw corrupt(path, "its header is not a JSON object");
            }
            long dataStart = 8 + headerLen;
            long dataSize = size - dataStart;
            Map<String, TensorInfo> tensors = new LinkedHashMap<>();
            Map<String, String> metadata = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext();) {
                Map.Entry<String, JsonNode> e = it.next();
                if (e.getKey().equals("__metadata__")) {
                    e.getValue().fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
                    continue;
                }
                tensors.put(e.getKey(), parseTensor(path, e.getKey(), e.getValue(), dataSize));
            }
            SafetensorsFile f = new SafetensorsFile(path, ch, dataStart, Collections.unmodifiableMap(tensors),
                    Collections.unmodifiableMap(metadata));
            ch = null;
            return f;
        } catch (IOException e) {
            throw new TwllmException("could not read " + path + ": " + e.getMessage(), e);
        } finally {
            if (ch != null) {
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // already failing
                }
            }
        }
    }

    private static TensorInfo parseTensor(Path path, String name, JsonNode n, long dataSize) {
        String dtypeName = n.path("dtype").asText("");
        DType dtype = DType.fromHeader(dtypeName);
        if (dtype == null) {
            throw new ConfigException(path + ": tensor " + name + " has dtype '" + dtypeName
                    + "'; supported are F32, F16 and BF16");
        }
        JsonNode shapeNode = n.path("shape");
        JsonNode offsets = n.path("data_offsets");
        if (!shapeNode.isArray() || !offsets.isArray() || offsets.size() != 2) {
            throw corrupt(path, "tensor " + name + " lacks a shape array or a [begin, end] data_offsets pair");
        }
        long[] shape = new long[shapeNode.size()];
        long elements = 1;
        for (int i = 0; i < shape.length; i++) {
            shape[i] = shapeNode.get(i).asLong(-1);
            if (shape[i] < 0) {
                throw corrupt(path, "tensor " + name + " has a negative or non-integer dimension " + shapeNode);
            }
            elements *= shape[i];
        }
        long begin = offsets.get(0).asLong(-1);
        long end = offsets.get(1).asLong(-1);
        if (begin < 0 || end < begin || end > dataSize) {
            throw corrupt(path, "tensor " + name + " has data_offsets [" + begin + ", " + end
                    + "] outside the data section of " + dataSize + " bytes (file truncated?)");
        }
        if (end - begin != elements * dtype.bytes()) {
            throw corrupt(path, "tensor " + name + " spans " + (end - begin) + " bytes but its shape " + shapeNode
                    + " in " + dtype + " needs " + elements * dtype.bytes());
        }
        return new TensorInfo(name, dtype, shape, begin, end);
    }

    private static TwllmException corrupt(Path path, String why) {
        return new TwllmException(path + " is not a valid safetensors file: " + why);
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
        while (buf.hasRemaining()) {
            int n = ch.read(buf, position + buf.position());
            if (n < 0) {
                throw new IOException("unexpected end of file");
            }
        }
    }

    public Path path() {
        return path;
    }

    /** Tensors in header order. */
    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    /**
     * Reads elements {@code [start, start + count)} of tensor {@code name} (row-major), converted to float,
     * into {@code dst[0, count)}.
     */
    public void read(String name, long start, float[] dst, int count) {
        TensorInfo t = tensors.get(name);
        if (t == null) {
            throw new IllegalArgumentException(path + " has no tensor " + name);
        }
        if (start < 0 || start + count > t.elements()) {
            throw new IndexOutOfBoundsException("elements [" + start + ", " + (start + count) + ") of " + name);
        }
        int size = t.dtype().bytes();
        int perSection = SECTION_BYTES / size;
        try {
            for (int done = 0; done < count;) {
                int n = Math.min(perSection, count - done);
                long at = dataStart + t.begin() + (start + done) * size;
                MappedByteBuffer section = channel.map(FileChannel.MapMode.READ_ONLY, at, (long) n * size);
                section.order(ByteOrder.LITTLE_ENDIAN);
                switch (t.dtype()) {
                    case F32 -> section.asFloatBuffer().get(dst, done, n);
                    case BF16 -> {
                        for (int i = 0; i < n; i++) {
                            dst[done + i] = Bf16.toFloat(section.getShort(2 * i));
                        }
                    }
                    case F16 -> {
                        for (int i = 0; i < n; i++) {
                            dst[done + i] = DType.f16ToFloat(section.getShort(2 * i));
                        }
                    }
                    default -> throw new IllegalStateException(t.dtype().name());
                }
                done += n;
            }
        } catch (IOException e) {
            throw new TwllmException("could not read tensor " + name + " from " + path + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new TwllmException("could not close " + path + ": " + e.getMessage(), e);
        }
    }
}
