package org.twllm.data.corpus;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

import com.github.luben.zstd.ZstdInputStream;
import org.twllm.files.LineBytes;

/**
 * The records of a UTF-8 text file: one per non-blank line (JSON Lines; the line is not parsed here), or
 * one per block of lines separated by blank lines (text, joined with {@code \n}). A name ending in
 * {@code .gz} is gunzipped and one ending in {@code .zst} unzstd'ed on the fly. Text is decoded a line at a
 * time ({@link LineBytes}), so invalid UTF-8 is a {@link LineBytes.NotUtf8Exception} on the line it is on.
 */
final class LineRecords implements FileRecords {
    private static final int BUFFER = 1 << 16;

    private final String file;
    private final boolean jsonLines;
    private final CountingStream counted;
    private final InputStream input;
    private final LineBytes lines;
    private long lineNumber;

    LineRecords(Path file, boolean jsonLines) throws IOException {
        this.file = file.toString();
        this.jsonLines = jsonLines;
        this.counted = new CountingStream(Files.newInputStream(file));
        InputStream in = counted;
        try {
            String name = file.getFileName().toString();
            if (name.endsWith(".gz")) {
                in = new GZIPInputStream(in, BUFFER);
            } else if (name.endsWith(".zst")) {
                in = new ZstdInputStream(in);
            }
        } catch (IOException | RuntimeException | UnsatisfiedLinkError e) {
            counted.close();
            throw e;
        }
        this.input = in;
        this.lines = new LineBytes(in);
    }

    /** 1-based number of the line read last. */
    long lineNumber() {
        return lineNumber;
    }

    @Override
    public SourceRecord next() throws IOException {
        return jsonLines ? nextLine() : nextBlock();
    }

    /** The next line, counted before it is decoded so that invalid UTF-8 is named on its own line; null at the end. */
    private String readLine() throws IOException {
        if (!lines.next()) {
            return null;
        }
        lineNumber++;
        return lines.text();
    }

    private SourceRecord nextLine() throws IOException {
        String line;
        while ((line = readLine()) != null) {
            if (!line.isBlank()) {
                return new SourceRecord(file, lineNumber, null, line);
            }
        }
        return null;
    }

    private SourceRecord nextBlock() throws IOException {
        StringBuilder block = new StringBuilder();
        long start = -1;
        String line;
        while ((line = readLine()) != null) {
            if (line.isBlank()) {
                if (start >= 0) {
                    break;
                }
                continue;
            }
            if (start < 0) {
                start = lineNumber;
            } else {
                block.append('\n');
            }
            block.append(line);
        }
        return start < 0 ? null : new SourceRecord(file, start, null, block.toString());
    }

    @Override
    public long bytesDone() {
        return counted.count;
    }

    @Override
    public void close() throws IOException {
        input.close();
    }

    /** Counts the bytes read from the file itself, beneath any decompression. */
    private static final class CountingStream extends FilterInputStream {
        long count;

        CountingStream(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count += n;
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long skipped = super.skip(n);
            count += skipped;
            return skipped;
        }
    }
}
