package org.twllm.core.engine.cpu;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.twllm.core.engine.GradientBuckets;
import org.twllm.core.engine.ParameterSpec;

/**
 * Partitioned gradients (ZeRO-2): backward WRITES each gradient straight into a few reused bucket buffers, one per
 * bucket of {@link GradientBuckets}, and hands a bucket over as soon as backward has gone below it. Backward writes
 * in descending flat order and every element once ({@link GradientWriter}), so when a write reaches bucket k every
 * bucket above it is final. A matrix is computed in blocks of whole rows that lie inside one bucket; a row across a
 * bucket edge is computed alone into a scratch row and copied piece by piece. Backward waits for a free buffer only
 * when every buffer is still with the receiver.
 */
final class BucketedGradients implements GradientWriter {
    /** Where finished buckets go: {@code buffer[0, end - start)} is final; {@code release} hands the buffer back. */
    @FunctionalInterface
    interface Receiver {
        void bucketReady(int bucket, long start, long end, INDArray buffer, Runnable release);
    }

    private final GradientBuckets buckets;
    private final INDArray[] buffers;
    private final BlockingQueue<Integer> free;
    private final INDArray rowScratch;
    private Receiver receiver;
    /** The bucket being written and the buffer holding it; -1 when none is open. */
    private int openBucket = -1;
    private int openBuffer = -1;

    /**
     * @param count   buffers (at least 2: one written while another is reduced)
     * @param maxCols the longest matrix row (the scratch row for rows across a bucket edge)
     */
    BucketedGradients(GradientBuckets buckets, int count, long maxCols, DataType dataType) {
        if (count < 2) {
            throw new IllegalArgumentException("partitioned gradients need at least 2 bucket buffers, not " + count);
        }
        this.buckets = buckets;
        long length = Math.min(buckets.bucketElements(), buckets.total());
        this.buffers = new INDArray[count];
        this.free = new ArrayBlockingQueue<>(count);
        try (MemoryWorkspace outside = Workspaces.outside()) {
            for (int i = 0; i < count; i++) {
                buffers[i] = Nd4j.zeros(dataType, length);
                free.add(i);
            }
            rowScratch = Nd4j.zeros(dataType, maxCols);
        }
    }

    /** Bytes of the bucket buffers (what partitioned gradients hold besides the partition). */
    long bytes() {
        long total = 0;
        for (INDArray b : buffers) {
            total += b.length() * b.dataType().width();
        }
        return total;
    }

    /** The start of one backward: finished buckets go to {@code to}. */
    void begin(Receiver to) {
        if (openBucket >= 0) {
            throw new IllegalStateException("bucket " + openBucket + " is still open from the previous backward");
        }
        this.receiver = to;
    }

    /** The end of one backward: hands over the last open bucket (the one holding flat element 0). */
    void finish() {
        handOverOpen();
        receiver = null;
    }

    @Override
    public void matrix(ParameterSpec s, RowBlocks rows) {
        long cols = s.shape()[1];
        long row = s.shape()[0];
        while (row > 0) {
            long rowEnd = s.offset() + row * cols;
            int bucket = buckets.bucketOf(rowEnd - 1);
            long lowest = Math.max(s.offset(), buckets.start(bucket));
            long firstRow = (lowest - s.offset() + cols - 1) / cols;
            if (firstRow < row) {
                // rows [firstRow, row) lie inside this bucket: computed straight into its buffer
                INDArray dst = open(bucket, s.offset() + firstRow * cols, rowEnd).reshape('c', row - firstRow, cols);
                rows.compute(firstRow, row, dst, false);
                row = firstRow;
            } else {
                // row - 1 runs across the bucket's lower edge
                INDArray scratch = rowScratch.get(NDArrayIndex.interval(0, cols));
                rows.compute(row - 1, row, scratch.reshape('c', 1, cols), false);
                values(rowEnd - cols, scratch);
                row--;
            }
        }
    }

    @Override
    public void values(long offset, INDArray values) {
        INDArray flat = values.reshape(values.length());
        long end = offset + flat.length();
        while (end > offset) {
            int bucket = buckets.bucketOf(end - 1);
            long from = Math.max(offset, buckets.start(bucket));
            open(bucket, from, end).assign(flat.get(NDArrayIndex.interval(from - offset, end - offset)));
            end = from;
        }
    }

    /** The buffer of {@code bucket} over flat elements {@code [from, to)}, opening the bucket (and handing the one above over). */
    private INDArray open(int bucket, long from, long to) {
        if (bucket != openBucket) {
            if (bucket < openBucket) {
                throw new IllegalStateException("gradient of bucket " + bucket + " written after bucket " + openBucket
                        + " was opened: backward must write in descending flat order");
            }
            handOverOpen();
            openBuffer = takeFreeBuffer();
            openBucket = bucket;
        }
        long start = buckets.start(bucket);
        return buffers[openBuffer].get(NDArrayIndex.interval(from - start, to - start));
    }

    private void handOverOpen() {
        if (openBucket < 0) {
            return;
        }
        int bucket = openBucket;
        int buffer = openBuffer;
        long start = buckets.start(openBucket);
        long end = buckets.end(openBucket);
        INDArray data = buffers[buffer].get(NDArrayIndex.interval(0, end - start));
        openBucket = -1;
        openBuffer = -1;
        receiver.bucketReady(bucket, start, end, data, () -> free.add(buffer));
    }

    private int takeFreeBuffer() {
        try {
            return free.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while backward waited for a free gradient bucket", e);
        }
    }

    /** Frees the buffers. */
    void close() {
        for (INDArray b : buffers) {
            b.close();
        }
        rowScratch.close();
    }
}
