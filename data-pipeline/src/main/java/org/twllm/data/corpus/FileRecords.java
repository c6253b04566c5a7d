package org.twllm.data.corpus;

import java.io.Closeable;
import java.io.IOException;

/** The records of one source file, in file order. */
interface FileRecords extends Closeable {
    /** The next record (a JSON line still unparsed, a text block, or a parsed Parquet row), or null at the end. */
    SourceRecord next() throws IOException;

    /** How far through the file reading is, in bytes of the file as stored (compressed bytes for compressed files). */
    long bytesDone();
}
