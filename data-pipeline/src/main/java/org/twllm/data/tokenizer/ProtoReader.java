package org.twllm.data.tokenizer;

import java.nio.charset.StandardCharsets;

/**
 * A minimal reader of the protobuf wire format (varints, length-delimited fields, fixed32/fixed64),
 * enough to read a SentencePiece {@code ModelProto} without a protobuf library. Malformed input
 * throws {@link MalformedProtoException}.
 */
final class ProtoReader {
    static final int WIRE_VARINT = 0;
    static final int WIRE_FIXED64 = 1;
    static final int WIRE_LENGTH_DELIMITED = 2;
    static final int WIRE_FIXED32 = 5;

    private final byte[] buf;
    private int pos;
    private final int limit;

    ProtoReader(byte[] buf) {
        this(buf, 0, buf.length);
    }

    private ProtoReader(byte[] buf, int offset, int limit) {
        this.buf = buf;
        this.pos = offset;
        this.limit = limit;
    }

    boolean hasMore() {
        return pos < limit;
    }

    /** Reads a field tag; {@code tag >>> 3} is the field number, {@code tag & 7} the wire type. */
    int readTag() {
        long tag = readVarint();
        if (tag >>> 3 == 0 || tag > Integer.MAX_VALUE) {
            throw new MalformedProtoException("invalid field tag " + tag + " at byte " + pos);
        }
        return (int) tag;
    }

    long readVarint() {
        long result = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos >= limit) {
                throw new MalformedProtoException("truncated varint at byte " + pos);
            }
            byte b = buf[pos++];
            result |= (long) (b & 0x7F) << shift;
            if (b >= 0) {
                return result;
            }
        }
        throw new MalformedProtoException("varint longer than 10 bytes at byte " + pos);
    }

    /** An int32 field: negative values are sign-extended to 10 bytes on the wire. */
    int readInt32() {
        return (int) readVarint();
    }

    boolean readBool() {
        return readVarint() != 0;
    }

    float readFloat() {
        require(4);
        int bits = (buf[pos] & 0xFF) | (buf[pos + 1] & 0xFF) << 8 | (buf[pos + 2] & 0xFF) << 16 | (buf[pos + 3] & 0xFF) << 24;
        pos += 4;
        return Float.intBitsToFloat(bits);
    }

    byte[] readBytes() {
        int length = readLength();
        byte[] out = new byte[length];
        System.arraycopy(buf, pos, out, 0, length);
        pos += length;
        return out;
    }

    String readString() {
        int length = readLength();
        String s = new String(buf, pos, length, StandardCharsets.UTF_8);
        pos += length;
        return s;
    }

    /** A reader over the embedded message of a length-delimited field. */
    ProtoReader readMessage() {
        int length = readLength();
        ProtoReader sub = new ProtoReader(buf, pos, pos + length);
        pos += length;
        return sub;
    }

    /** Skips the value of a field with the given wire type (unknown fields are allowed, as in protobuf). */
    void skip(int wireType) {
        switch (wireType) {
            case WIRE_VARINT -> readVarint();
            case WIRE_FIXED64 -> {
                require(8);
                pos += 8;
            }
            case WIRE_LENGTH_DELIMITED -> {
                int length = readLength(); // read before adding: 'pos += readLength()' would use the old pos
                pos += length;
            }
            case WIRE_FIXED32 -> {
                require(4);
                pos += 4;
            }
            default -> throw new MalformedProtoException("unsupported wire type " + wireType + " at byte " + pos);
        }
    }

    /** Checks that a field has the wire type its schema says, so a foreign file fails fast. */
    static void expectWireType(int tag, int wireType) {
        if ((tag & 7) != wireType) {
            throw new MalformedProtoException("field " + (tag >>> 3) + " has wire type " + (tag & 7) + ", expected " + wireType);
        }
    }

    private int readLength() {
        long length = readVarint();
        if (length < 0 || length > limit - pos) {
            throw new MalformedProtoException("length " + length + " at byte " + pos + " runs past the end of its message");
        }
        return (int) length;
    }

    private void require(int n) {
        if (limit - pos < n) {
            throw new MalformedProtoException("truncated field at byte " + pos);
        }
    }

    /** The bytes are not a well-formed protobuf message of the expected shape. */
    static final class MalformedProtoException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        MalformedProtoException(String message) {
            super(message);
        }
    }
}
