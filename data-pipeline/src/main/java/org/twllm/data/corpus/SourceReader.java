package org.twllm.data.corpus;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Locale;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.twllm.errors.ConfigException;
import org.twllm.errors.TwllmException;
import org.twllm.files.LineBytes;

/**
 * Streams the records of one source, file after file ({@link SourceFiles}), holding one record in memory
 * at a time (one row group for Parquet). A file whose name ends in {@code .parquet} gives one parsed record
 * per row; other files are UTF-8 text ({@link LineRecords}: gzip and zstd by suffix), one record per
 * non-blank line for JSON Lines formats, one per blank-line-separated block for the text format.
 */
public final class SourceReader implements Closeable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final SourceFormat format;
    private final Collection<String> columns;
    private final List<Path> files;
    private int nextFile;
    private long bytesBefore;
    private Path file;
    private FileRecords records;

    /** Reads every column of Parquet files. */
    public SourceReader(SourceSpec spec) {
        this(spec, null);
    }

    /**
     * @param columns the top-level columns to read from Parquet files (null: all); see
     *                {@link Extractors#columnsRead}
     */
    public SourceReader(SourceSpec spec, Collection<String> columns) {
        this.format = spec.format();
        this.columns = columns;
        this.files = SourceFiles.of(spec.path());
    }

    /** Whether {@code file} is read as Parquet (by its name). */
    public static boolean isParquet(Path file) {
        return file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".parquet");
    }

    /**
     * The next record, or null at the end of the source.
     *
     * @throws InvalidRecordException for a line that is not a JSON object; the reader has moved past it
     */
    public SourceRecord next() {
        SourceRecord raw = nextRaw();
        return raw == null || raw.json() != null || !format.jsonLines() ? raw : parseJson(raw);
    }

    /**
     * The next record without parsing JSON lines: for JSON Lines formats its {@code text} is the raw line
     * and {@code json} is null ({@link #parseJson} parses it, possibly on another thread). Parquet rows
     * come parsed.
     */
    public SourceRecord nextRaw() {
        try {
            while (true) {
                if (records == null) {
                    if (nextFile == files.size()) {
                        return null;
                    }
                    open(files.get(nextFile++));
                }
                SourceRecord r = records.next();
                if (r != null) {
                    return r;
                }
                bytesBefore += Files.size(file);
                closeFile();
            }
        } catch (LineBytes.NotUtf8Exception e) {
            throw new ConfigException("source file " + file + " line " + lineNumber() + " is not valid UTF-8 (its byte "
                    + e.byteInLine() + "): convert the file to UTF-8 (a Big5 file: iconv -f BIG5 -t UTF-8)");
        } catch (IOException e) {
            throw new TwllmException("cannot read source file " + file + " near line " + lineNumber() + ": " + e.getMessage(), e);
        }
    }

    /** Bytes of the source's files (as stored) read so far, for progress. */
    public long bytesDone() {
        return bytesBefore + (records == null ? 0 : records.bytesDone());
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
        if (isParquet(next)) {
            if (!format.jsonLines()) {
                throw new ConfigException("source file " + next + " is Parquet, but format " + format.id()
                        + " reads plain text: use format jsonl for Parquet text (the column in text_field)");
            }
            records = new ParquetRecords(next, Files.size(next), columns);
        } else {
            try {
                records = new LineRecords(next, format.jsonLines());
            } catch (UnsatisfiedLinkError e) {
                throw new TwllmException("cannot load the zstd library to read " + next + " (" + e.getMessage() + "): let Java"
                        + " extract native code to a folder that allows it, e.g. TWLLM_JAVA_OPTS=-Djava.io.tmpdir=$HOME/tmp", e);
            }
        }
    }

    private long lineNumber() {
        return records instanceof LineRecords lines ? lines.lineNumber() : 0;
    }

    private void closeFile() throws IOException {
        FileRecords r = records;
        records = null;
        r.close();
    }

    @Override
    public void close() {
        if (records != null) {
            try {
                closeFile();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
