package org.twllm.core.engine.cpu;

import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.List;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.api.ops.CustomOp;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.twllm.core.engine.TokenBatch;
import org.twllm.core.engine.cpu.StepProfile.Kind;

/**
 * The LM head fused with softmax cross-entropy, chunked over the trained positions: for each chunk of rows the
 * [rows, vocab] logits are computed, turned into log-probabilities and (for training) straight into the
 * gradients of the head weight and of the final hidden states, then dropped. Only one chunk of
 * vocabulary-sized values exists at a time (llm.c's fused classifier). Positions whose target is ignored (SFT
 * prompts, padding) are left out before the head: they cost no logits, and their hidden-state gradient is zero.
 */
final class CrossEntropy {
    /**
     * Elements of one logits chunk: 16M values (64 MB in fp32), at least one row. Big enough that the head's
     * weight-gradient product of a chunk has hundreds of rows to sum over (a GEMM at full speed, and few passes
     * over the [vocab, hidden] gradient), small next to the weights it serves.
     */
    private static final long CHUNK_ELEMENTS = 1L << 24;

    private final INDArray head;

    CrossEntropy(INDArray head) {
        this.head = head;
    }

    /**
     * Sum over trained positions of -log p(target); adds {@code lossScale} times its gradient into
     * {@code headGrad} ([vocab, hidden]) and writes dL/dh (also scaled) into {@code dHidden} [N, hidden].
     */
    double forwardBackward(INDArray hidden, int[] targets, double lossScale, INDArray dHidden, INDArray headGrad) {
        List<TrainedRows> chunks = TrainedRows.chunks(targets, chunkRows());
        if (chunks.size() != 1 || chunks.get(0).rows() != targets.length) {
            dHidden.assign(0); // rows of ignored targets get no gradient; the chunks write the others
        }
        double total = 0;
        for (TrainedRows chunk : chunks) {
            try (MemoryWorkspace ws = Workspaces.open(Workspaces.CHUNK)) {
                INDArray h = chunk.of(hidden);
                Softmax c = new Softmax(h, head, chunk.targets());
                INDArray dLogits = c.probabilities();
                for (int r = 0; r < chunk.rows(); r++) {
                    int target = chunk.targets()[r];
                    total -= c.logProb(r);
                    // d(-log p_target)/dlogits = softmax - onehot(target)
                    dLogits.putScalar(r, target, dLogits.getDouble(r, target) - 1.0);
                }
                StepProfile.lap(Kind.LOSS);
                // every trained row has the same scale: the products apply it, not a pass over the chunk
                StepProfile.gemm(1, head.size(0), h.size(1), h.size(0));
                Nd4j.gemm(dLogits, h, headGrad, true, false, lossScale, 1.0);
                StepProfile.gemm(1, h.size(0), h.size(1), head.size(0));
                if (chunk.isOneRun()) {
                    Nd4j.gemm(dLogits, head, chunk.of(dHidden), false, false, lossScale, 0.0);
                } else {
                    chunk.scatter(Nd4j.gemm(dLogits, head, false, false).muli(lossScale), dHidden);
                }
                StepProfile.lap(Kind.LM_HEAD_GEMM);
            }
        }
        return total;
    }

    /** Sum over trained positions of -log p(target), in double. */
    double loss(INDArray hidden, int[] targets) {
        double total = 0;
        for (TrainedRows chunk : TrainedRows.chunks(targets, chunkRows())) {
            try (MemoryWorkspace ws = Workspaces.open(Workspaces.CHUNK)) {
                Softmax c = new Softmax(chunk.of(hidden), head, chunk.targets());
                for (int r = 0; r < chunk.rows(); r++) {
                    total -= c.logProb(r);
                }
            }
        }
        return total;
    }

    /** log p(target) per row, NaN where the target is ignored. */
    float[] targetLogProbs(INDArray hidden, int[] targets) {
        float[] out = new float[targets.length];
        Arrays.fill(out, Float.NaN);
        for (TrainedRows chunk : TrainedRows.chunks(targets, chunkRows())) {
            try (MemoryWorkspace ws = Workspaces.open(Workspaces.CHUNK)) {
                Softmax c = new Softmax(chunk.of(hidden), head, chunk.targets());
                chunk.forEachRow((r, position) -> out[position] = (float) c.logProb(r));
            }
        }
        return out;
    }

    /** Full logits [N, vocab] into {@code out}. */
    void logits(INDArray hidden, INDArray out) {
        Nd4j.gemm(hidden, head, out, false, true, 1.0, 0.0);
    }

    private int chunkRows() {
        return (int) Math.max(1, CHUNK_ELEMENTS / head.size(0));
    }

    /**
     * The softmax of one chunk's logits, computed in place, and log p(target) per row. In fp32 with the Vector API
     * ({@link VectorSupport}) one pass per row over a heap copy finds the row's maximum, exponentiates, sums and
     * normalises; otherwise ND4J's fused softmax op does, and the log of the softmax denominator comes from the
     * row's largest logit: there p = exp(0) / sum, so log(sum) = -log p, a value at least 1/vocab that never
     * underflows.
     */
    private static final class Softmax {
        private final INDArray probabilities;
        private final double[] logProbs;

        /** {@code targets}: the target of each of {@code h}'s rows (none ignored). */
        Softmax(INDArray h, INDArray head, int[] targets) {
            probabilities = Linear.forward(h, head);
            StepProfile.lap(Kind.LM_HEAD_GEMM);
            logProbs = new double[(int) probabilities.size(0)];
            if (VectorSupport.ENABLED && probabilities.dataType() == DataType.FLOAT) {
                FloatBuffer logits = FlatElements.floats(probabilities);
                int vocab = (int) probabilities.size(1);
                ParallelRows.forEachBlock(logProbs.length, vocab, (block, r0, r1) ->
                        softmaxRows(logits, vocab, targets, logProbs, r0, r1));
            } else {
                nd4jSoftmax(targets);
            }
        }

        private void nd4jSoftmax(int[] targets) {
            long[] argMax = probabilities.argMax(1).toLongVector();
            double[] shiftedTarget = new double[logProbs.length];
            for (int r = 0; r < logProbs.length; r++) {
                shiftedTarget[r] = probabilities.getDouble(r, targets[r]) - probabilities.getDouble(r, argMax[r]);
            }
            Nd4j.exec((CustomOp) new SoftMax(probabilities, probabilities, 1));
            for (int r = 0; r < logProbs.length; r++) {
                logProbs[r] = shiftedTarget[r] + Math.log(probabilities.getDouble(r, argMax[r]));
            }
        }

        /** Rows {@code [r0, r1)} of the fp32 logits [rows, vocab] into their softmax, and their log p(target). */
        private static void softmaxRows(FloatBuffer logits, int vocab, int[] targets, double[] logProbs, int r0, int r1) {
            float[] row = RowScratch.current().floats(0, vocab);
            for (int r = r0; r < r1; r++) {
                logits.get(r * vocab, row, 0, vocab);
                float max = VectorRows.max(row, 0, null, 0, vocab);
                float target = row[targets[r]];
                double sum = VectorRows.expShifted(row, 0, null, 0, vocab, max);
                logProbs[r] = (target - max) - Math.log(sum);
                VectorRows.scale(row, 0, vocab, (float) (1.0 / sum));
                logits.put(r * vocab, row, 0, vocab);
            }
        }

        /** log p(target) of row {@code row}. */
        double logProb(int row) {
            return logProbs[row];
        }

        /** The softmax [rows, vocab], in place of the logits. */
        INDArray probabilities() {
            return probabilities;
        }
    }
}
