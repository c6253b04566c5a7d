package org.twllm.data.corpus;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.twllm.errors.ConfigException;
import org.twllm.errors.TwllmException;
import org.twllm.files.LineBytes;

/**
 * Streams the records of one source, file after file, holding one record in memory at a time. JSON Lines
 * formats give one record per non-blank line; the text format gives one record per block of lines
 * separated by one or more blank (whitespace-only) lines, its lines joined with {@code \n}. A file whose
 * name ends in {@code .gz} is gunzipped on the fly. Input must be UTF-8.
 */
public final class SourceReader implements Closeable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final SourceFormat format;
    private final Iterator<Path> files;
    private Path file;
    private InputStream input;
    private LineBytes lines;
    private long lineNumber;

    public SourceReader(SourceSpec spec) {
        this.format = spec.format();
        this.files = filesOf(spec.path()).iterator();
    }

    /** The files a source path stands for: the file itself, or a directory's non-hidden regular files by name. */
    public static List<Path> filesOf(Path path) {
        if (Files.isRegularFile(path)) {
            return List.of(path);
        }
        if (Files.isDirectory(path)) {
            try (Stream<Path> list = Files.list(path)) {
                List<Path> files = new ArrayList<>(list.filter(Files::isRegularFile)
                        .filter(p -> !p.getFileName().toString().startsWith(".")).sorted().toList());
                if (files.isEmpty()) {
                    throw new ConfigException("source directory " + path + " holds no files: point --source at a corpus file or folder");
                }
                return files;
            } catch (IOException e) {
                throw new ConfigException("cannot list source directory " + path + ": " + e.getMessage());
            }
        }
        throw new ConfigException("source " + path + " does not exist: check the path given to --source");
    }

    /**
     * The next record, or null at the end of the source.
     *
     * @throws InvalidRecordException for a line that is not a JSON object; the reader has moved past it
     */
    public SourceRecord next() {
        SourceRecord raw = nextRaw();
        return raw == null || !format.jsonLines() ? raw : parseJson(raw);
    }

    /**
     * The next record without parsing JSON lines: for JSON Lines formats its {@code text} is the raw line
     * and {@code json} is null ({@link #parseJson} parses it, possibly on another thread).
     */
    public SourceRecord nextRaw() {
        try {
            while (true) {
                if (lines == null) {
                    if (!files.hasNext()) {
                        return null;
                    }
                    open(files.next());
                }
                SourceRecord r = format.jsonLines() ? nextLine() : nextBlock();
                if (r != null) {
                    return r;
                }
                close();
            }
        } catch (LineBytes.NotUtf8Exception e) {
            throw new ConfigException("source file " + file + " line " + lineNumber + " is not valid UTF-8 (its byte "
                    + e.byteInLine() + "): convert the file to UTF-8 (a Big5 file: iconv -f BIG5 -t UTF-8)");
        } catch (IOException e) {
            throw new TwllmException("cannot read source file " + file + " near line " + lineNumber + ": " + e.getMessage(), e);
        }
    }

    /**
     * A raw JSON line record parsed: {@code json} set, {@code text} null.
     *
     * @throws InvalidRecordException when the line is not a JSON object
     */
    public static SourceRecord parseJson(SourceRecord raw) {
        JsonNode node;
        try {
            node = JSON.readTree(raw.text());
        } catch (JsonProcessingException e) {
            throw new InvalidRecordException(raw.where() + " is not valid JSON (" + e.getOriginalMessage() + ")");
        }
        if (node == null || !node.isObject()) {
            throw new InvalidRecordException(raw.where() + " is not a JSON object");
        }
        return new SourceRecord(raw.file(), raw.line(), node, null);
    }

    private void open(Path next) throws IOException {
        file = next;
        lineNumber = 0;
        InputStream in = Files.newInputStream(next);
        if (next.getFileName().toString().endsWith(".gz")) {
            in = new GZIPInputStream(in, 1 << 16);
        }
        input = in;
        lines = new LineBytes(in);
    }

    /** The next line of the current file, decoded one line at a time so invalid UTF-8 is named on its line; null at its end. */
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
                return new SourceRecord(file.toString(), lineNumber, null, line);
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
        return start < 0 ? null : new SourceRecord(file.toString(), start, null, block.toString());
    }

    @Override
    public void close() {
        if (input != null) {
            try {
                input.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            input = null;
            lines = null;
        }
    }
}
