package org.twllm.files;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Splits a stream into lines at {@code '\n'} bytes (a {@code '\r'} before it is dropped), safe in UTF-8,
 * which never uses that byte inside a character. A line cut inside a character is still seen whole (so a
 * reader can call it torn), and text is decoded one line at a time, so invalid UTF-8 is reported on the
 * line it is on: a decoder reading ahead in blocks reports it where its block began.
 */
public final class LineBytes {
    private final InputStream in;
    private final byte[] chunk = new byte[1 << 16];
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
    private int chunkPos;
    private int chunkEnd;
    private byte[] buffer = new byte[1 << 12];
    private int length;
    private boolean terminated;
    private CharBuffer chars = CharBuffer.allocate(1 << 12);

    /** The current line is not valid UTF-8. */
    public static final class NotUtf8Exception extends IOException {
        private static final long serialVersionUID = 1L;
        private final int byteInLine;

        NotUtf8Exception(int byteInLine) {
            super("byte " + byteInLine + " of the line is not valid UTF-8");
            this.byteInLine = byteInLine;
        }

        /** 1-based position in the line of the first byte that is not valid UTF-8. */
        public int byteInLine() {
            return byteInLine;
        }
    }

    public LineBytes(InputStream in) {
        this.in = in;
    }

    /** Reads the next line into {@link #buffer()}{@code [0, length())} (without its newline); false at the end. */
    public boolean next() throws IOException {
        length = 0;
        boolean any = false;
        while (true) {
            if (chunkPos == chunkEnd) {
                chunkEnd = in.read(chunk);
                chunkPos = 0;
                if (chunkEnd <= 0) {
                    chunkEnd = 0;
                    terminated = false;
                    return any;
                }
            }
            any = true;
            int start = chunkPos;
            while (chunkPos < chunkEnd && chunk[chunkPos] != '\n') {
                chunkPos++;
            }
            append(start, chunkPos);
            if (chunkPos < chunkEnd) {
                chunkPos++; // the newline
                if (length > 0 && buffer[length - 1] == '\r') {
                    length--;
                }
                terminated = true;
                return true;
            }
        }
    }

    /** The current line's bytes are {@code buffer()[0, length())}. */
    public byte[] buffer() {
        return buffer;
    }

    public int length() {
        return length;
    }

    /** Whether a newline ended the current line (false only for a last line without one). */
    public boolean terminated() {
        return terminated;
    }

    /** Whether the current line holds only spaces, tabs and carriage returns. */
    public boolean isBlank() {
        for (int i = 0; i < length; i++) {
            byte b = buffer[i];
            if (b != ' ' && b != '\t' && b != '\r') {
                return false;
            }
        }
        return true;
    }

    /** The current line decoded as UTF-8; a byte sequence that is not valid UTF-8 is an error naming its position. */
    public String text() throws NotUtf8Exception {
        if (chars.capacity() < length) {
            chars = CharBuffer.allocate(Math.max(length, chars.capacity() * 2));
        }
        chars.clear();
        ByteBuffer bytes = ByteBuffer.wrap(buffer, 0, length);
        decoder.reset();
        CoderResult result = decoder.decode(bytes, chars, true);
        if (!result.isError()) {
            result = decoder.flush(chars);
        }
        if (result.isError()) {
            throw new NotUtf8Exception(bytes.position() + 1);
        }
        return chars.flip().toString();
    }

    private void append(int from, int to) {
        int n = to - from;
        if (length + n > buffer.length) {
            buffer = Arrays.copyOf(buffer, Math.max(buffer.length * 2, length + n));
        }
        System.arraycopy(chunk, from, buffer, length, n);
        length += n;
    }
}
