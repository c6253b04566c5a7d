package org.twllm.core.io;

import org.twllm.core.engine.Bf16;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;

import org.twllm.errors.TwllmException;
import org.twllm.files.AtomicFiles;
import org.twllm.progress.Progress;

/** Writes a safetensors file atomically (temporary sibling, fsync, rename), converting floats to F32, F16 or BF16. */
public final class SafetensorsWriter {
    /** Elements converted per write. */
    private static final int CHUNK = 1 << 20;

    /** One tensor to write: its name, shape, and where its row-major float values come from. */
    public record Tensor(String name, long[] shape, FloatSource values) {
        long elements() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }
    }

    /** Fills {@code dst[0, count)} with elements {@code [start, start + count)} of a tensor. */
    @FunctionalInterface
    public interface FloatSource {
        void read(long start, float[] dst, int count);
    }

    private SafetensorsWriter() {
    }

    public static void write(Path file, List<Tensor> tensors, DType dtype, Map<String, String> metadata) {
        write(file, tensors, dtype, metadata, Progress.none());
    }

    /** As {@link #write(Path, List, DType, Map)}, adding the tensor bytes written to {@code progress} as they go. */
    public static void write(Path file, List<Tensor> tensors, DType dtype, Map<String, String> metadata, Progress progress) {
        Map<String, Object> header = new LinkedHashMap<>();
        if (!metadata.isEmpty()) {
            header.put("__metadata__", metadata);
        }
        long offset = 0;
        for (Tensor t : tensors) {
            long bytes = t.elements() * dtype.bytes();
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("dtype", dtype.name());
            List<Long> shape = new ArrayList<>();
            for (long d : t.shape()) {
                shape.add(d);
            }
            entry.put("shape", shape);
            entry.put("data_offsets", List.of(offset, offset + bytes));
            header.put(t.name(), entry);
            offset += bytes;
        }
        byte[] json;
        try {
            json = new ObjectMapper().writeValueAsBytes(header);
        } catch (IOException e) {
            throw new TwllmException("could not encode the safetensors header: " + e.getMessage(), e);
        }
        // Pad the header with spaces to a multiple of 8 bytes so the data section is aligned.
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) {
            head.put((byte) ' ');
        }
        head.flip();
        AtomicFiles.write(file, ch -> {
                writeFully(ch, head);
                ByteBuffer out = ByteBuffer.allocateDirect(CHUNK * dtype.bytes()).order(ByteOrder.LITTLE_ENDIAN);
                float[] values = new float[CHUNK];
                for (Tensor t : tensors) {
                    for (long start = 0; start < t.elements(); start += CHUNK) {
                        int n = (int) Math.min(CHUNK, t.elements() - start);
                        t.values().read(start, values, n);
                        out.clear();
                        for (int i = 0; i < n; i++) {
                            switch (dtype) {
                                case F32 -> out.putFloat(values[i]);
                                case BF16 -> out.putShort(Bf16.fromFloat(values[i]));
                                case F16 -> out.putShort(DType.floatToF16(values[i]));
                                default -> throw new IllegalStateException(dtype.name());
                            }
                        }
                        out.flip();
                        writeFully(ch, out);
                        progress.advance(0, (long) n * dtype.bytes());
                    }
                }
            });
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }
}
