package org.twllm.core.engine.cpu;

import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.twllm.core.engine.TokenBatch;
import org.twllm.core.engine.cpu.StepProfile.Kind;

/**
 * The LM head fused with softmax cross-entropy, chunked over positions: for each chunk of rows the
 * [rows, vocab] logits are computed, turned into log-probabilities and (for training) straight into the
 * gradients of the head weight and of the final hidden states, then dropped. Only one chunk of
 * vocabulary-sized values exists at a time (llm.c's fused classifier).
 */
final class CrossEntropy {
    /** Elements of one logits chunk: 4M values (16 MB in fp32), at least one row. */
    private static final long CHUNK_ELEMENTS = 1L << 22;

    private final INDArray head;

    CrossEntropy(INDArray head) {
        this.head = head;
    }

    /**
     * Sum over trained positions of -log p(target); adds {@code lossScale} times its gradient into
     * {@code headGrad} ([vocab, hidden]) and writes dL/dh (also scaled) into {@code dHidden} [N, hidden].
     */
    double forwardBackward(INDArray hidden, int[] targets, double lossScale, INDArray dHidden, INDArray headGrad) {
        double total = 0;
        int rows = chunkRows(hidden.size(0));
        for (long start = 0; start < hidden.size(0); start += rows) {
            long end = Math.min(hidden.size(0), start + rows);
            try (MemoryWorkspace ws = Workspaces.open(Workspaces.CHUNK)) {
                INDArray h = rowRange(hidden, start, end);
                LogSoftmax c = new LogSoftmax(h, head);
                INDArray dLogits = c.probabilities();
                double[] rowScale = new double[(int) (end - start)];
                for (int r = 0; r < rowScale.length; r++) {
                    int target = targets[(int) start + r];
                    if (target != TokenBatch.IGNORE) {
                        total -= c.logProb(r, target);
                        // d(-log p_target)/dlogits = softmax - onehot(target)
                        dLogits.putScalar(r, target, dLogits.getDouble(r, target) - 1.0);
                        rowScale[r] = lossScale;
                    }
                }
                dLogits.muli(Nd4j.create(rowScale, new long[] {rowScale.length, 1}, 'c').castTo(h.dataType()));
                Nd4j.gemm(dLogits, h, headGrad, true, false, 1.0, 1.0);
                Nd4j.gemm(dLogits, head, rowRange(dHidden, start, end), false, false, 1.0, 0.0);
            }
        }
        StepProfile.lap(Kind.LM_HEAD_LOSS);
        return total;
    }

    /** Sum over trained positions of -log p(target), in double. */
    double loss(INDArray hidden, int[] targets) {
        double total = 0;
        int rows = chunkRows(hidden.size(0));
        for (long start = 0; start < hidden.size(0); start += rows) {
            long end = Math.min(hidden.size(0), start + rows);
            try (MemoryWorkspace ws = Workspaces.open(Workspaces.CHUNK)) {
                LogSoftmax c = new LogSoftmax(rowRange(hidden, start, end), head);
                for (int r = 0; r < end - start; r++) {
                    int target = targets[(int) start + r];
                    if (target != TokenBatch.IGNORE) {
                        total -= c.logProb(r, target);
                    }
                }
            }
        }
        return total;
    }

    /** log p(target) per row, NaN where the target is ignored. */
    float[] targetLogProbs(INDArray hidden, int[] targets) {
        float[] out = new float[targets.length];
        int rows = chunkRows(hidden.size(0));
        for (long start = 0; start < hidden.size(0); start += rows) {
            long end = Math.min(hidden.size(0), start + rows);
            try (MemoryWorkspace ws = Workspaces.open(Workspaces.CHUNK)) {
                LogSoftmax c = new LogSoftmax(rowRange(hidden, start, end), head);
                for (int r = 0; r < end - start; r++) {
                    int target = targets[(int) start + r];
                    out[(int) start + r] = target == TokenBatch.IGNORE ? Float.NaN : (float) c.logProb(r, target);
                }
            }
        }
        return out;
    }

    /** Full logits [N, vocab] into {@code out}. */
    void logits(INDArray hidden, INDArray out) {
        Nd4j.gemm(hidden, head, out, false, true, 1.0, 0.0);
    }

    private int chunkRows(long rows) {
        return (int) Math.max(1, Math.min(rows, CHUNK_ELEMENTS / head.size(0)));
    }

    private static INDArray rowRange(INDArray a, long start, long end) {
        return a.get(NDArrayIndex.interval(start, end), NDArrayIndex.all());
    }

    /** Logits of one chunk shifted by their row max, and log sum exp of the shifted logits per row. */
    private static final class LogSoftmax {
        private final INDArray shifted;
        private final INDArray exp;
        private final INDArray sumExp;
        private final INDArray logSumExp;

        LogSoftmax(INDArray h, INDArray head) {
            shifted = Linear.forward(h, head);
            shifted.subi(shifted.max(true, 1));
            exp = Transforms.exp(shifted, true);
            sumExp = exp.sum(true, 1);
            logSumExp = Transforms.log(sumExp, true);
        }

        double logProb(int row, int target) {
            return shifted.getDouble(row, target) - logSumExp.getDouble(row, 0);
        }

        /** The softmax, computed in place of the exponentials. */
        INDArray probabilities() {
            return exp.divi(sumExp);
        }
    }
}
