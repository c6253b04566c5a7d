package org.twllm.files;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Rewrites one file atomically, write after write, until killed; prints each write's number once it
 * returned. {@link AtomicFilesTest} kills it with SIGKILL and checks what is left. Argument: the file.
 */
public final class AtomicWriteChild {
    private static final int BYTES = 256 * 1024;

    private AtomicWriteChild() {
    }

    public static void main(String[] args) {
        Path file = Path.of(args[0]);
        for (long n = 0; ; n++) {
            AtomicFiles.write(file, content(n));
            System.out.println(n);
            System.out.flush();
        }
    }

    /** Write {@code n}: its number on the first line, then bytes that depend on it, so a mix of two writes shows. */
    static byte[] content(long n) {
        byte[] header = (n + "\n").getBytes(StandardCharsets.US_ASCII);
        byte[] out = Arrays.copyOf(header, BYTES);
        for (int i = header.length; i < BYTES; i++) {
            out[i] = (byte) ('a' + (n + i) % 26);
        }
        return out;
    }

    /** The write number {@code content} claims to be. */
    static long check(byte[] content) {
        String text = new String(content, StandardCharsets.US_ASCII);
        return Long.parseLong(text.substring(0, text.indexOf('\n')));
    }
}
