package org.twllm.data.parquet;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.zip.GZIPInputStream;

import com.github.luben.zstd.Zstd;
import io.airlift.compress.Decompressor;
import io.airlift.compress.MalformedInputException;
import io.airlift.compress.lz4.Lz4Decompressor;
import io.airlift.compress.snappy.SnappyDecompressor;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.compression.CompressionCodecFactory;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;

/**
 * Decompresses Parquet pages without Hadoop's codec classes: snappy and LZ4_RAW with aircompressor (pure
 * Java), zstd with libzstd (zstd-jni), gzip with the JDK. These cover what HF datasets and pyarrow write.
 * Reading only: {@link #getCompressor} refuses.
 */
final class ParquetCodecs implements CompressionCodecFactory {
    @Override
    public BytesInputDecompressor getDecompressor(CompressionCodecName codec) {
        return switch (codec) {
            case UNCOMPRESSED -> new PageDecompressor(codec, (in, out) -> System.arraycopy(in, 0, out, 0, out.length));
            case SNAPPY -> new PageDecompressor(codec, airlift(new SnappyDecompressor()));
            case LZ4_RAW -> new PageDecompressor(codec, airlift(new Lz4Decompressor()));
            case ZSTD -> new PageDecompressor(codec, ParquetCodecs::zstd);
            case GZIP -> new PageDecompressor(codec, ParquetCodecs::gunzip);
            default -> throw new IllegalArgumentException("no decompressor for " + codec + "; check supports() first");
        };
    }

    /** Whether pages compressed with {@code codec} can be read (LZO, Brotli and Hadoop-framed LZ4 cannot). */
    static boolean supports(CompressionCodecName codec) {
        return switch (codec) {
            case UNCOMPRESSED, SNAPPY, LZ4_RAW, ZSTD, GZIP -> true;
            default -> false;
        };
    }

    @Override
    public BytesInputCompressor getCompressor(CompressionCodecName codec) {
        throw new UnsupportedOperationException("twllm reads Parquet files; it does not write them");
    }

    @Override
    public void release() {
    }

    /** Fills {@code out} (exactly the page's uncompressed size) from one compressed page. */
    @FunctionalInterface
    private interface PageCodec {
        void decompress(byte[] in, byte[] out) throws IOException;
    }

    private static PageCodec airlift(Decompressor d) {
        return (in, out) -> {
            int n;
            try {
                n = d.decompress(in, 0, in.length, out, 0, out.length);
            } catch (MalformedInputException e) {
                throw new IOException("damaged compressed page: " + e.getMessage(), e);
            }
            requireSize(n, out.length);
        };
    }

    private static void zstd(byte[] in, byte[] out) throws IOException {
        long n = Zstd.decompressByteArray(out, 0, out.length, in, 0, in.length);
        if (Zstd.isError(n)) {
            throw new IOException("damaged zstd page: " + Zstd.getErrorName(n));
        }
        requireSize(n, out.length);
    }

    private static void gunzip(byte[] in, byte[] out) throws IOException {
        try (InputStream gz = new GZIPInputStream(new ByteArrayInputStream(in))) {
            requireSize(gz.readNBytes(out, 0, out.length), out.length);
        }
    }

    private static void requireSize(long got, int expected) throws IOException {
        if (got != expected) {
            throw new IOException("a compressed page gave " + got + " bytes where its header says " + expected);
        }
    }

    private static final class PageDecompressor implements BytesInputDecompressor {
        private final CompressionCodecName codec;
        private final PageCodec page;

        PageDecompressor(CompressionCodecName codec, PageCodec page) {
            this.codec = codec;
            this.page = page;
        }

        @Override
        public BytesInput decompress(BytesInput bytes, int uncompressedSize) throws IOException {
            byte[] out = new byte[uncompressedSize];
            page.decompress(bytes.toByteArray(), out);
            return BytesInput.from(out);
        }

        @Override
        public void decompress(ByteBuffer input, int compressedSize, ByteBuffer output, int uncompressedSize) throws IOException {
            byte[] in = new byte[compressedSize];
            input.get(in);
            byte[] out = new byte[uncompressedSize];
            page.decompress(in, out);
            output.put(out);
        }

        @Override
        public void release() {
        }

        @Override
        public String toString() {
            return codec.name();
        }
    }
}
