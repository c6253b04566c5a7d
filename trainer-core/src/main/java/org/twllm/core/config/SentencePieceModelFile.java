package org.twllm.core.config;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads only the vocabulary size of a SentencePiece {@code .model} file (a ModelProto whose
 * field 1 repeats once per piece), so a config can default {@code model.vocab_size} to it
 * without loading the tokenizer.
 */
final class SentencePieceModelFile {
    private SentencePieceModelFile() {
    }

    /** Number of pieces; throws IOException when the file is not a SentencePiece model. */
    static int pieceCount(Path file) throws IOException {
        ByteBuffer in = ByteBuffer.wrap(Files.readAllBytes(file));
        int pieces = 0;
        while (in.hasRemaining()) {
            long tag = varint(in);
            int field = (int) (tag >>> 3);
            int wireType = (int) (tag & 7);
            switch (wireType) {
                case 0 -> varint(in);
                case 1 -> skip(in, 8);
                case 2 -> skip(in, varint(in));
                case 5 -> skip(in, 4);
                default -> throw new IOException("not a SentencePiece model (protobuf wire type " + wireType + ")");
            }
            if (field == 1 && wireType == 2) {
                pieces++;
            }
        }
        if (pieces == 0) {
            throw new IOException("not a SentencePiece model (no pieces)");
        }
        return pieces;
    }

    private static long varint(ByteBuffer in) throws IOException {
        long value = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (!in.hasRemaining()) {
                throw new IOException("not a SentencePiece model (truncated)");
            }
            byte b = in.get();
            value |= (long) (b & 0x7f) << shift;
            if (b >= 0) {
                return value;
            }
        }
        throw new IOException("not a SentencePiece model (bad varint)");
    }

    private static void skip(ByteBuffer in, long bytes) throws IOException {
        if (bytes < 0 || bytes > in.remaining()) {
            throw new IOException("not a SentencePiece model (truncated)");
        }
        in.position(in.position() + (int) bytes);
    }
}
