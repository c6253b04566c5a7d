package org.twllm.data.corpus;

import java.nio.file.Path;
import java.util.Collection;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.twllm.data.parquet.ParquetRows;

/** The rows of a Parquet file as parsed JSON records, numbered from 1 ("FILE row N" in messages). */
final class ParquetRecords implements FileRecords {
    private final String file;
    private final long size;
    private final ParquetRows rows;

    ParquetRecords(Path file, long size, Collection<String> columns) {
        this.file = file.toString();
        this.size = size;
        this.rows = ParquetRows.open(file, columns);
    }

    @Override
    public SourceRecord next() {
        ObjectNode row = rows.next();
        return row == null ? null : SourceRecord.row(file, rows.row(), row);
    }

    /** The share of the file's size that the rows read so far stand for. */
    @Override
    public long bytesDone() {
        return rows.rows() == 0 ? size : (long) ((double) size * rows.row() / rows.rows());
    }

    @Override
    public void close() {
        rows.close();
    }
}
