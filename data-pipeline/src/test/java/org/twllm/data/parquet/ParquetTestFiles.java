package org.twllm.data.parquet;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;

import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.compression.CompressionCodecFactory;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;

/**
 * Writes the Parquet files of the tests through parquet-java's own writer (dictionary encoding on, row
 * groups of a given number of rows). Snappy, zstd and LZ4_RAW pages are compressed by parquet-java's
 * codecs; gzip pages by the JDK's gzip, as parquet-floor's Hadoop stand-in lacks Hadoop's gzip codec.
 */
public final class ParquetTestFiles {
    /** The schema of HF chat datasets as pyarrow writes it: a text column and a list of role/content structs. */
    public static final MessageType HF = MessageTypeParser.parseMessageType("message schema {"
            + " optional binary text (STRING);"
            + " optional group messages (LIST) { repeated group list { optional group element {"
            + "   optional binary role (STRING); optional binary content (STRING); } } }"
            + " optional int64 id; }");

    private ParquetTestFiles() {
    }

    /** A builder of rows of {@code schema}. */
    public static SimpleGroupFactory rows(MessageType schema) {
        return new SimpleGroupFactory(schema);
    }

    /** Writes {@code rows} to {@code file} with {@code codec}, at most {@code rowsPerGroup} rows per row group. */
    public static Path write(Path file, MessageType schema, CompressionCodecName codec, ParquetProperties.WriterVersion pages,
            int rowsPerGroup, List<Group> rows) throws IOException {
        Files.deleteIfExists(file);
        ExampleParquetWriter.Builder b = ExampleParquetWriter.builder(new LocalOutputFile(file))
                .withConf(new PlainParquetConfiguration()).withType(schema).withCompressionCodec(codec)
                .withWriterVersion(pages).withRowGroupRowCountLimit(rowsPerGroup).withPageRowCountLimit(Math.max(1, rowsPerGroup / 3))
                .withDictionaryEncoding(true);
        if (codec == CompressionCodecName.GZIP) {
            b.withCodecFactory(new GzipOnly());
        }
        try (ParquetWriter<Group> w = b.build()) {
            for (Group g : rows) {
                w.write(g);
            }
        }
        return file;
    }

    /** Gzip page compression with the JDK. */
    private static final class GzipOnly implements CompressionCodecFactory {
        @Override
        public BytesInputCompressor getCompressor(CompressionCodecName codec) {
            return new BytesInputCompressor() {
                @Override
                public BytesInput compress(BytesInput bytes) throws IOException {
                    ByteArrayOutputStream out = new ByteArrayOutputStream();
                    try (OutputStream gz = new GZIPOutputStream(out)) {
                        bytes.writeAllTo(gz);
                    }
                    return BytesInput.from(out.toByteArray());
                }

                @Override
                public CompressionCodecName getCodecName() {
                    return CompressionCodecName.GZIP;
                }

                @Override
                public void release() {
                }
            };
        }

        @Override
        public BytesInputDecompressor getDecompressor(CompressionCodecName codec) {
            throw new UnsupportedOperationException("writing only");
        }

        @Override
        public void release() {
        }
    }
}
