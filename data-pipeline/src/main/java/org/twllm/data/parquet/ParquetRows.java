package org.twllm.data.parquet;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.TreeSet;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.parquet.ParquetReadOptions;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.convert.GroupRecordConverter;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.io.ColumnIOFactory;
import org.apache.parquet.io.InputFile;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.io.RecordReader;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.Type;
import org.twllm.errors.ConfigException;
import org.twllm.errors.TwllmException;

/**
 * Streams the rows of one Parquet file as JSON objects ({@link ParquetJson}), one row group in memory at a
 * time, reading only the requested top-level columns. The footer is checked when the file is opened: a
 * file that is not Parquet, a codec this reader lacks, or none of the requested columns is a
 * {@link ConfigException} naming the file.
 */
public final class ParquetRows implements Closeable {
    private final String file;
    private final ParquetFileReader reader;
    private final MessageType schema;
    private final long rows;
    private RecordReader<Group> group;
    private long left;
    private long row;

    private ParquetRows(String file, ParquetFileReader reader, MessageType schema) {
        this.file = file;
        this.reader = reader;
        this.schema = schema;
        this.rows = reader.getRecordCount();
    }

    /**
     * Opens {@code file}, reading only those of {@code columns} it has (all columns when null).
     *
     * @throws ConfigException when the file is not Parquet, uses an unsupported codec, or has none of {@code columns}
     */
    public static ParquetRows open(Path file, Collection<String> columns) {
        return open(new LocalInputFile(file), file.toString(), columns);
    }

    /** {@link #open(Path, Collection)} on any {@link InputFile}; {@code name} names it in messages. */
    static ParquetRows open(InputFile input, String name, Collection<String> columns) {
        ParquetFileReader reader;
        try {
            reader = ParquetFileReader.open(input, ParquetReadOptions.builder().withCodecFactory(new ParquetCodecs()).build());
        } catch (RuntimeException | IOException e) {
            throw new ConfigException(name + " is not a readable Parquet file (" + e.getMessage()
                    + "): check the file, or give the source another format");
        }
        try {
            for (BlockMetaData block : reader.getRowGroups()) {
                for (ColumnChunkMetaData column : block.getColumns()) {
                    if (!ParquetCodecs.supports(column.getCodec())) {
                        throw new ConfigException(name + " is compressed with " + column.getCodec() + ", which twllm cannot"
                                + " read: rewrite it with snappy, zstd or gzip (e.g. pyarrow.parquet.write_table(..., compression='zstd'))");
                    }
                }
            }
            MessageType schema = reader.getFooter().getFileMetaData().getSchema();
            MessageType read = columns == null ? schema : projection(schema, columns, name);
            reader.setRequestedSchema(read);
            return new ParquetRows(name, reader, read);
        } catch (RuntimeException e) {
            closeQuietly(reader);
            throw e;
        }
    }

    private static MessageType projection(MessageType schema, Collection<String> columns, String name) {
        List<Type> kept = new ArrayList<>();
        for (Type field : schema.getFields()) {
            if (columns.contains(field.getName())) {
                kept.add(field);
            }
        }
        if (kept.isEmpty()) {
            TreeSet<String> has = new TreeSet<>();
            schema.getFields().forEach(f -> has.add(f.getName()));
            throw new ConfigException(name + " has no column " + String.join(" or ", new TreeSet<>(columns)) + " (its columns: "
                    + String.join(", ", has) + "): name the column with the source's text_field or messages_field");
        }
        return new MessageType(schema.getName(), kept);
    }

    /** The next row, or null after the last. */
    public ObjectNode next() {
        try {
            while (left == 0) {
                PageReadStore pages = reader.readNextRowGroup();
                if (pages == null) {
                    return null;
                }
                left = pages.getRowCount();
                group = new ColumnIOFactory().getColumnIO(schema).getRecordReader(pages, new GroupRecordConverter(schema));
            }
            left--;
            row++;
            return ParquetJson.object(group.read(), schema);
        } catch (ParquetJson.InvalidUtf8Exception e) {
            throw new ConfigException(file + " row " + row + ": " + e.getMessage() + "; convert it to UTF-8");
        } catch (IOException | RuntimeException e) {
            throw new TwllmException("cannot read " + file + " near row " + (row + 1) + ": " + e.getMessage(), e);
        }
    }

    /** 1-based number of the row {@link #next} returned last. */
    public long row() {
        return row;
    }

    /** Rows in the file. */
    public long rows() {
        return rows;
    }

    @Override
    public void close() {
        try {
            reader.close();
        } catch (IOException e) {
            throw new TwllmException("cannot close " + file + ": " + e.getMessage(), e);
        }
    }

    private static void closeQuietly(ParquetFileReader reader) {
        try {
            reader.close();
        } catch (IOException ignored) {
            // the open already failed; that error is the one to report
        }
    }
}
