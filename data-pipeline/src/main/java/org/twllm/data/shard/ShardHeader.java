package org.twllm.data.shard;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * The fixed 64-byte header of a shard file and the layout it implies (see docs/data.md, "Shard format").
 * All numbers are little-endian.
 *
 * <pre>
 *  0  magic "TWLLMSHD"       8 bytes
 *  8  format version         u32
 * 12  bytes per token id     u32 (2 = uint16, 4 = uint32)
 * 16  flags                  u32 (bit 0: a loss mask follows the boundaries)
 * 20  vocabulary size        u32
 * 24  tokens                 i64
 * 32  documents              i64
 * 40  body CRC32C            u32 (bytes 64 .. end of file)
 * 44  reserved, zero         16 bytes
 * 60  header CRC32C          u32 (bytes 0 .. 60)
 * </pre>
 * The body: token ids; zero padding to a multiple of 8; {@code documents + 1} i64 token offsets of the
 * document starts (the last equals {@code tokens}); then, with the flag, the loss mask, one bit per token,
 * least significant bit first, 1 = trained.
 */
public record ShardHeader(int tokenBytes, boolean hasLossMask, int vocabSize, long numTokens, long numDocuments,
        int bodyCrc) {
    public static final byte[] MAGIC = "TWLLMSHD".getBytes(StandardCharsets.US_ASCII);
    public static final int VERSION = 1;
    public static final int BYTES = 64;
    private static final int FLAG_LOSS_MASK = 1;
    private static final int HEADER_CRC_OFFSET = 60;

    /** Token id width for a vocabulary: uint16 when every id fits, else uint32. */
    public static int tokenBytesFor(int vocabSize) {
        return vocabSize <= 65535 ? 2 : 4;
    }

    public long tokensOffset() {
        return BYTES;
    }

    public long boundariesOffset() {
        return align8(BYTES + numTokens * tokenBytes);
    }

    public long maskOffset() {
        return boundariesOffset() + 8 * (numDocuments + 1);
    }

    public long maskBytes() {
        return hasLossMask ? (numTokens + 7) / 8 : 0;
    }

    /** The exact file size this header implies. */
    public long fileBytes() {
        return maskOffset() + maskBytes();
    }

    static long align8(long n) {
        return (n + 7) & ~7L;
    }

    /** The 64 header bytes, header checksum included. */
    public ByteBuffer encode() {
        ByteBuffer b = ByteBuffer.allocate(BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).putInt(VERSION).putInt(tokenBytes).putInt(hasLossMask ? FLAG_LOSS_MASK : 0).putInt(vocabSize)
                .putLong(numTokens).putLong(numDocuments).putInt(bodyCrc);
        b.putInt(HEADER_CRC_OFFSET, crc(b.array(), HEADER_CRC_OFFSET));
        b.position(0);
        return b;
    }

    /**
     * Parses and checks a header; returns a description of the first problem instead of throwing, so the
     * caller can name the file and what to do.
     */
    public static Parsed decode(ByteBuffer src) {
        if (src.remaining() < BYTES) {
            return Parsed.problem("it is shorter than the " + BYTES + "-byte shard header");
        }
        byte[] raw = new byte[BYTES];
        src.duplicate().get(raw);
        ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < MAGIC.length; i++) {
            if (raw[i] != MAGIC[i]) {
                return Parsed.problem("it does not start with the shard magic \"TWLLMSHD\"");
            }
        }
        if (b.getInt(HEADER_CRC_OFFSET) != crc(raw, HEADER_CRC_OFFSET)) {
            return Parsed.problem("its header checksum does not match (the header is corrupt)");
        }
        int version = b.getInt(8);
        if (version != VERSION) {
            return Parsed.problem("it has shard format version " + version + " but this twllm reads version " + VERSION);
        }
        int tokenBytes = b.getInt(12);
        int flags = b.getInt(16);
        if ((tokenBytes != 2 && tokenBytes != 4) || (flags & ~FLAG_LOSS_MASK) != 0) {
            return Parsed.problem("its header has an unknown token width " + tokenBytes + " or flags " + flags);
        }
        long tokens = b.getLong(24);
        long docs = b.getLong(32);
        if (tokens < 0 || docs < 0) {
            return Parsed.problem("its header has negative counts");
        }
        return new Parsed(new ShardHeader(tokenBytes, (flags & FLAG_LOSS_MASK) != 0, b.getInt(20), tokens, docs,
                b.getInt(40)), null);
    }

    private static int crc(byte[] bytes, int length) {
        CRC32C c = new CRC32C();
        c.update(bytes, 0, length);
        return (int) c.getValue();
    }

    /** A decoded header, or why the bytes are not one. */
    public record Parsed(ShardHeader header, String problem) {
        static Parsed problem(String why) {
            return new Parsed(null, why);
        }
    }
}
