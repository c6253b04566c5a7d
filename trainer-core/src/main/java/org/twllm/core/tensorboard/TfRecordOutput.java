package org.twllm.core.tensorboard;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * TFRecord framing, the container of TensorBoard event files: each record is its length (uint64, little
 * endian), the masked CRC32C of those 8 bytes, the data, and the masked CRC32C of the data.
 */
final class TfRecordOutput implements AutoCloseable {
    /** TensorFlow's mask, so that a CRC of data that holds CRCs stays well distributed. */
    private static final int MASK_DELTA = 0xa282ead8;

    private final OutputStream out;
    private final CRC32C crc = new CRC32C();
    private final byte[] header = new byte[12];
    private final byte[] footer = new byte[4];

    private TfRecordOutput(OutputStream out) {
        this.out = out;
    }

    /** Creates {@code file}, which must not exist yet. */
    static TfRecordOutput create(Path file) throws IOException {
        return new TfRecordOutput(new BufferedOutputStream(Files.newOutputStream(file, StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE)));
    }

    void write(byte[] data, int length) throws IOException {
        for (int i = 0; i < 8; i++) {
            header[i] = (byte) ((long) length >>> (8 * i));
        }
        putInt(header, 8, maskedCrc(header, 0, 8));
        putInt(footer, 0, maskedCrc(data, 0, length));
        out.write(header);
        out.write(data, 0, length);
        out.write(footer);
    }

    /** Hands what was written to the operating system, so a reader (or a crash) sees every finished record. */
    void flush() throws IOException {
        out.flush();
    }

    @Override
    public void close() throws IOException {
        out.close();
    }

    static int mask(int crc) {
        return ((crc >>> 15) | (crc << 17)) + MASK_DELTA;
    }

    private int maskedCrc(byte[] data, int offset, int length) {
        crc.reset();
        crc.update(data, offset, length);
        return mask((int) crc.getValue());
    }

    private static void putInt(byte[] dst, int at, int value) {
        for (int i = 0; i < 4; i++) {
            dst[at + i] = (byte) (value >>> (8 * i));
        }
    }
}
