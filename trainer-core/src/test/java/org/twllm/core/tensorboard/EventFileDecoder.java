package org.twllm.core.tensorboard;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads TensorBoard event files without any of the writer's code: TFRecord framing with both CRCs checked
 * (its own bitwise CRC32C), a generic protobuf wire-format parser, and the Event / Summary / SessionLog /
 * TensorProto fields as TensorFlow's .proto files number them.
 */
public final class EventFileDecoder {
    /** One decoded {@code Event}; the fields not set are null or empty. */
    public record Event(double wallTime, long step, String fileVersion, List<Value> values, Integer sessionStatus) {
    }

    /** One {@code Summary.Value}: a simple_value scalar, or a text-plugin string tensor. */
    public record Value(String tag, Float simpleValue, String pluginName, Long dataClass, Long tensorDtype,
                        Integer tensorDims, List<String> strings) {
    }

    private EventFileDecoder() {
    }

    /** The event files of {@code dir} in name order (the order TensorBoard reads them in). */
    public static List<Path> files(Path dir) throws IOException {
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "events.out.tfevents.*")) {
            s.forEach(files::add);
        }
        files.sort(null);
        return files;
    }

    public static List<Event> read(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        List<Event> events = new ArrayList<>();
        while (b.hasRemaining()) {
            byte[] header = new byte[8];
            b.get(header);
            long length = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN).getLong();
            check(b.getInt(), header, file, "length");
            byte[] data = new byte[Math.toIntExact(length)];
            b.get(data);
            check(b.getInt(), data, file, "data");
            events.add(event(data));
        }
        return events;
    }

    /**
     * The scalars TensorBoard shows from {@code files} read in order: a {@code SessionLog START} at step s
     * drops every point with step >= s read before it (event_accumulator's purge), and a tag with two points at
     * one step would show both, so they are kept for the caller to see. Tag -> (step -> values).
     */
    public static Map<String, TreeMap<Long, List<Float>>> scalarView(List<Path> files) throws IOException {
        Map<String, TreeMap<Long, List<Float>>> view = new TreeMap<>();
        for (Path f : files) {
            for (Event e : read(f)) {
                if (e.sessionStatus() != null && e.sessionStatus() == 1) {
                    view.values().forEach(points -> points.tailMap(e.step(), true).clear());
                }
                for (Value v : e.values()) {
                    if (v.simpleValue() != null) {
                        view.computeIfAbsent(v.tag(), t -> new TreeMap<>()).computeIfAbsent(e.step(), s -> new ArrayList<>())
                                .add(v.simpleValue());
                    }
                }
            }
        }
        return view;
    }

    /** CRC32C (Castagnoli, reflected polynomial 0x82F63B78), bit by bit. */
    public static int crc32c(byte[] data) {
        int crc = 0xFFFFFFFF;
        for (byte d : data) {
            crc ^= d & 0xFF;
            for (int k = 0; k < 8; k++) {
                crc = (crc & 1) != 0 ? (crc >>> 1) ^ 0x82F63B78 : crc >>> 1;
            }
        }
        return ~crc;
    }

    private static void check(int stored, byte[] data, Path file, String what) {
        int crc = crc32c(data);
        int masked = ((crc >>> 15) | (crc << 17)) + 0xa282ead8;
        if (stored != masked) {
            throw new IllegalStateException(file + ": masked CRC32C of the record " + what + " is wrong");
        }
    }

    private static Event event(byte[] data) {
        Map<Integer, List<Object>> f = fields(data);
        List<Value> values = new ArrayList<>();
        if (f.containsKey(5)) {
            for (Object v : fields((byte[]) f.get(5).get(0)).getOrDefault(1, List.of())) {
                values.add(value((byte[]) v));
            }
        }
        Integer status = f.containsKey(7) ? (int) (long) (Long) fields((byte[]) f.get(7).get(0)).get(1).get(0) : null;
        return new Event(Double.longBitsToDouble((Long) f.get(1).get(0)), f.containsKey(2) ? (Long) f.get(2).get(0) : 0,
                f.containsKey(3) ? utf8(f.get(3).get(0)) : null, values, status);
    }

    private static Value value(byte[] data) {
        Map<Integer, List<Object>> v = fields(data);
        Float simple = v.containsKey(2) ? Float.intBitsToFloat((int) (long) (Long) v.get(2).get(0)) : null;
        String plugin = null;
        Long dataClass = null;
        if (v.containsKey(9)) {
            Map<Integer, List<Object>> meta = fields((byte[]) v.get(9).get(0));
            plugin = meta.containsKey(1) ? utf8(fields((byte[]) meta.get(1).get(0)).get(1).get(0)) : null;
            dataClass = meta.containsKey(4) ? (Long) meta.get(4).get(0) : null;
        }
        Long dtype = null;
        Integer dims = null;
        List<String> strings = new ArrayList<>();
        if (v.containsKey(8)) {
            Map<Integer, List<Object>> tensor = fields((byte[]) v.get(8).get(0));
            dtype = (Long) tensor.get(1).get(0);
            dims = tensor.containsKey(2) ? fields((byte[]) tensor.get(2).get(0)).getOrDefault(2, List.of()).size() : null;
            tensor.getOrDefault(8, List.of()).forEach(s -> strings.add(utf8(s)));
        }
        return new Value(utf8(v.get(1).get(0)), simple, plugin, dataClass, dtype, dims, strings);
    }

    /** Field number -> values: Long for varint and fixed (raw bits), byte[] for length-delimited. */
    private static Map<Integer, List<Object>> fields(byte[] data) {
        Map<Integer, List<Object>> out = new TreeMap<>();
        int[] pos = {0};
        while (pos[0] < data.length) {
            long key = varint(data, pos);
            int field = (int) (key >>> 3);
            Object value = switch ((int) (key & 7)) {
                case 0 -> varint(data, pos);
                case 1 -> fixed(data, pos, 8);
                case 2 -> {
                    int n = (int) varint(data, pos);
                    byte[] bytes = java.util.Arrays.copyOfRange(data, pos[0], pos[0] + n);
                    pos[0] += n;
                    yield bytes;
                }
                case 5 -> fixed(data, pos, 4);
                default -> throw new IllegalStateException("unexpected wire type " + (key & 7));
            };
            out.computeIfAbsent(field, k -> new ArrayList<>()).add(value);
        }
        return out;
    }

    private static long varint(byte[] data, int[] pos) {
        long value = 0;
        for (int shift = 0; ; shift += 7) {
            byte b = data[pos[0]++];
            value |= (long) (b & 0x7F) << shift;
            if (b >= 0) {
                return value;
            }
        }
    }

    private static long fixed(byte[] data, int[] pos, int bytes) {
        long value = 0;
        for (int i = 0; i < bytes; i++) {
            value |= (long) (data[pos[0]++] & 0xFF) << (8 * i);
        }
        return value;
    }

    private static String utf8(Object bytes) {
        return new String((byte[]) bytes, StandardCharsets.UTF_8);
    }
}
