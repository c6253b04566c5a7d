package org.twllm.core.engine.cuda;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

import org.twllm.core.engine.TokenBatch;

/**
 * The LM head fused with softmax cross-entropy, over chunks of rows: for each chunk a cuBLAS GEMM writes
 * its fp32 logits [rows, vocab], a kernel turns them into log p(target) and (for training) the logits'
 * gradient, and two more GEMMs add the head's weight gradient and write the hidden states' gradient. Only
 * one chunk of vocabulary-sized rows exists at a time, never the [tokens, vocab] logits (llm.c's fused
 * classifier; the CPU model's CrossEntropy chunks the same way).
 */
public final class ChunkedLmHead implements AutoCloseable {
    private final Gpu gpu;
    private final Kernels kernels;
    private final Gemms gemms;
    private final StorageType type;
    private final int hidden;
    private final int vocab;
    private final int chunkRows;
    private final DeviceBuffer logits;
    private final DeviceBuffer dlogits;
    private final DeviceBuffer logProbs;
    private final ByteBuffer logProbsHost;

    /** Room for {@code maxRows} rows, in chunks of at most {@code chunkElements} logits. */
    public ChunkedLmHead(Kernels kernels, int hidden, int vocab, int maxRows, long chunkElements) {
        this.gpu = kernels.gpu();
        this.kernels = kernels;
        this.type = kernels.type();
        this.gemms = new Gemms(gpu, type);
        this.hidden = hidden;
        this.vocab = vocab;
        this.chunkRows = chunkRows(maxRows, vocab, chunkElements);
        this.logits = gpu.allocate(4L * chunkRows * vocab);
        this.dlogits = gpu.allocate((long) type.bytes() * chunkRows * vocab);
        this.logProbs = gpu.allocate(4L * maxRows);
        this.logProbsHost = ByteBuffer.allocateDirect(4 * maxRows).order(ByteOrder.nativeOrder());
    }

    /** Rows per chunk: as many as fit {@code chunkElements} logits, at least one, at most {@code maxRows}. */
    public static int chunkRows(int maxRows, int vocab, long chunkElements) {
        return (int) Math.max(1, Math.min(maxRows, chunkElements / vocab));
    }

    public int chunkRows() {
        return chunkRows;
    }

    /**
     * Sum over trained rows of -log p(target); adds {@code lossScale} times its gradient into {@code headGrad}
     * (fp32 [vocab, hidden]) and writes dL/dh (also scaled) into {@code dHidden} fp32 [rows, hidden].
     *
     * @param targets the host targets (for the sum), {@code targetsDevice} their device copy
     */
    public double forwardBackward(long hiddenStates, long head, long headGrad, int[] targets, long targetsDevice, int rows,
            double lossScale, long dHidden) {
        for (int start = 0; start < rows; start += chunkRows) {
            int n = Math.min(chunkRows, rows - start);
            long h = hiddenStates + (long) start * hidden * type.bytes();
            gemms.forward(h, head, logits.address(), n, hidden, vocab, StorageType.F32, 0f);
            kernels.crossEntropy(logits.address(), dlogits.address(), targetsDevice + 4L * start, logProbs.at(4L * start), n,
                    vocab, (float) lossScale);
            gemms.weightGrad(dlogits.address(), h, headGrad, n, hidden, vocab);
            gemms.inputGrad(dlogits.address(), head, dHidden + 4L * start * hidden, n, hidden, vocab, StorageType.F32, 0f);
        }
        return -sumTrained(targets, rows);
    }

    /** log p(target) per row, NaN where the target is ignored. */
    public float[] logProbs(long hiddenStates, long head, long targetsDevice, int rows) {
        for (int start = 0; start < rows; start += chunkRows) {
            int n = Math.min(chunkRows, rows - start);
            long h = hiddenStates + (long) start * hidden * type.bytes();
            gemms.forward(h, head, logits.address(), n, hidden, vocab, StorageType.F32, 0f);
            kernels.crossEntropy(logits.address(), 0, targetsDevice + 4L * start, logProbs.at(4L * start), n, vocab, 0f);
        }
        FloatBuffer values = download(rows);
        float[] out = new float[rows];
        values.get(out);
        return out;
    }

    private double sumTrained(int[] targets, int rows) {
        FloatBuffer values = download(rows);
        double sum = 0;
        for (int r = 0; r < rows; r++) {
            if (targets[r] != TokenBatch.IGNORE) {
                sum += values.get(r);
            }
        }
        return sum;
    }

    private FloatBuffer download(int rows) {
        logProbsHost.clear().limit(4 * rows);
        gpu.download(logProbs.address(), logProbsHost);
        logProbsHost.flip();
        return logProbsHost.asFloatBuffer();
    }

    @Override
    public void close() {
        logits.close();
        dlogits.close();
        logProbs.close();
    }
}
