package org.twllm.core.tensorboard;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A protocol-buffers encoder for the few wire types TensorBoard's messages use: varints, 64- and 32-bit
 * fixed values, and length-delimited bytes, strings and nested messages. Fields are appended in the order
 * they are written; a writer is reused with {@link #reset}, so a steady stream of events allocates nothing.
 */
final class ProtoWriter {
    private static final int VARINT = 0;
    private static final int FIXED64 = 1;
    private static final int LENGTH_DELIMITED = 2;
    private static final int FIXED32 = 5;

    private byte[] buf = new byte[256];
    private int size;

    ProtoWriter reset() {
        size = 0;
        return this;
    }

    ProtoWriter varint(int field, long value) {
        tag(field, VARINT);
        rawVarint(value);
        return this;
    }

    ProtoWriter doubleValue(int field, double value) {
        tag(field, FIXED64);
        long bits = Double.doubleToRawLongBits(value);
        for (int i = 0; i < 8; i++) {
            put((byte) (bits >>> (8 * i)));
        }
        return this;
    }

    ProtoWriter floatValue(int field, float value) {
        tag(field, FIXED32);
        int bits = Float.floatToRawIntBits(value);
        for (int i = 0; i < 4; i++) {
            put((byte) (bits >>> (8 * i)));
        }
        return this;
    }

    ProtoWriter bytes(int field, byte[] value) {
        tag(field, LENGTH_DELIMITED);
        rawVarint(value.length);
        append(value, 0, value.length);
        return this;
    }

    ProtoWriter string(int field, String value) {
        return bytes(field, value.getBytes(StandardCharsets.UTF_8));
    }

    /** {@code message} (encoded so far) as a nested message field. */
    ProtoWriter message(int field, ProtoWriter message) {
        tag(field, LENGTH_DELIMITED);
        rawVarint(message.size);
        append(message.buf, 0, message.size);
        return this;
    }

    int size() {
        return size;
    }

    /** The encoded bytes; valid until the next write. */
    byte[] buffer() {
        return buf;
    }

    private void tag(int field, int wireType) {
        rawVarint(((long) field << 3) | wireType);
    }

    private void rawVarint(long value) {
        while ((value & ~0x7FL) != 0) {
            put((byte) ((value & 0x7F) | 0x80));
            value >>>= 7;
        }
        put((byte) value);
    }

    private void put(byte b) {
        if (size == buf.length) {
            buf = Arrays.copyOf(buf, 2 * size);
        }
        buf[size++] = b;
    }

    private void append(byte[] src, int offset, int length) {
        if (size + length > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(2 * buf.length, size + length));
        }
        System.arraycopy(src, offset, buf, size, length);
        size += length;
    }
}
