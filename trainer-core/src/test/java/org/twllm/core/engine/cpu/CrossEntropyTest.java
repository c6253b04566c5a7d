package org.twllm.core.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.twllm.core.engine.TokenBatch;

/**
 * The fused LM-head loss against the textbook formulas written out in double, on logits spread so far apart (several
 * hundred) that exp() of most shifted logits underflows and some targets' probabilities are below fp32's range: the
 * loss must stay finite and exact, with its gradient {@code scale * (softmax - onehot)} through the head.
 */
class CrossEntropyTest {
    private static final int ROWS = 7;
    private static final int VOCAB = 50;
    private static final int HIDDEN = 8;

    @Test
    void lossAndGradientsMatchTheFormulasOnWidelySpreadLogits() {
        INDArray hidden = GradientCheck.random(11, ROWS, HIDDEN).muli(40.0);
        INDArray head = GradientCheck.random(12, VOCAB, HIDDEN);
        int[] targets = {3, 49, TokenBatch.IGNORE, 0, 17, TokenBatch.IGNORE, 25};
        double scale = 0.25;

        double[][] logits = new double[ROWS][VOCAB];
        for (int r = 0; r < ROWS; r++) {
            for (int v = 0; v < VOCAB; v++) {
                for (int j = 0; j < HIDDEN; j++) {
                    logits[r][v] += hidden.getDouble(r, j) * head.getDouble(v, j);
                }
            }
        }
        double expectedLoss = 0;
        double minLogProb = 0;
        double[][] dLogits = new double[ROWS][VOCAB];
        for (int r = 0; r < ROWS; r++) {
            if (targets[r] == TokenBatch.IGNORE) {
                continue;
            }
            double max = Double.NEGATIVE_INFINITY;
            for (double x : logits[r]) {
                max = Math.max(max, x);
            }
            double sum = 0;
            for (double x : logits[r]) {
                sum += Math.exp(x - max);
            }
            double logSumExp = max + Math.log(sum);
            expectedLoss -= logits[r][targets[r]] - logSumExp;
            minLogProb = Math.min(minLogProb, logits[r][targets[r]] - logSumExp);
            for (int v = 0; v < VOCAB; v++) {
                dLogits[r][v] = scale * (Math.exp(logits[r][v] - logSumExp) - (v == targets[r] ? 1 : 0));
            }
        }
        assertTrue(minLogProb < -104, "some target's probability is below fp32's smallest value: " + minLogProb);

        CrossEntropy loss = new CrossEntropy(head);
        INDArray dHidden = Nd4j.zeros(DataType.DOUBLE, ROWS, HIDDEN);
        INDArray headGrad = Nd4j.zeros(DataType.DOUBLE, VOCAB, HIDDEN);
        double total = loss.forwardBackward(hidden, targets, scale, dHidden, headGrad);
        assertEquals(expectedLoss, total, 1e-9 * expectedLoss);
        assertEquals(expectedLoss, loss.loss(hidden, targets), 1e-9 * expectedLoss);
        float[] logProbs = loss.targetLogProbs(hidden, targets);
        assertTrue(Float.isNaN(logProbs[2]) && Float.isNaN(logProbs[5]), "ignored targets have no log-prob");

        for (int r = 0; r < ROWS; r++) {
            for (int j = 0; j < HIDDEN; j++) {
                double expected = 0;
                for (int v = 0; v < VOCAB; v++) {
                    expected += dLogits[r][v] * head.getDouble(v, j);
                }
                assertEquals(expected, dHidden.getDouble(r, j), 1e-9 * (1 + Math.abs(expected)), "dHidden " + r + "," + j);
            }
        }
        for (int v = 0; v < VOCAB; v++) {
            for (int j = 0; j < HIDDEN; j++) {
                double expected = 0;
                for (int r = 0; r < ROWS; r++) {
                    expected += dLogits[r][v] * hidden.getDouble(r, j);
                }
                assertEquals(expected, headGrad.getDouble(v, j), 1e-9 * (1 + Math.abs(expected)), "head grad " + v + "," + j);
            }
        }
    }

    /**
     * fp32 (the Vector API pass when the JVM has the module, as the build's does) against fp64 (ND4J's softmax op):
     * the loss stays finite where a target's probability underflows fp32, and loss and gradients agree to fp32 rounding.
     */
    @Test
    void fp32AgreesWithFp64WhereATargetsProbabilityUnderflows() {
        INDArray hidden = GradientCheck.random(11, ROWS, HIDDEN).muli(40.0);
        INDArray head = GradientCheck.random(12, VOCAB, HIDDEN);
        int[] targets = {3, 49, TokenBatch.IGNORE, 0, 17, TokenBatch.IGNORE, 25};
        double exact = new CrossEntropy(head).loss(hidden, targets);
        INDArray hidden32 = hidden.castTo(DataType.FLOAT);
        CrossEntropy fp32 = new CrossEntropy(head.castTo(DataType.FLOAT));
        double loss32 = fp32.loss(hidden32, targets);
        assertTrue(Double.isFinite(loss32), "fp32 loss " + loss32);
        assertEquals(exact, loss32, 1e-5 * exact);

        INDArray dHidden = Nd4j.zeros(DataType.DOUBLE, ROWS, HIDDEN);
        INDArray headGrad = Nd4j.zeros(DataType.DOUBLE, VOCAB, HIDDEN);
        new CrossEntropy(head).forwardBackward(hidden, targets, 0.25, dHidden, headGrad);
        INDArray dHidden32 = Nd4j.zeros(DataType.FLOAT, ROWS, HIDDEN);
        INDArray headGrad32 = Nd4j.zeros(DataType.FLOAT, VOCAB, HIDDEN);
        assertEquals(exact, fp32.forwardBackward(hidden32, targets, 0.25, dHidden32, headGrad32), 1e-5 * exact);
        assertTrue(dHidden32.castTo(DataType.DOUBLE).sub(dHidden).amaxNumber().doubleValue() <= 1e-5 * dHidden.amaxNumber().doubleValue(),
                "fp32 hidden gradient");
        assertTrue(headGrad32.castTo(DataType.DOUBLE).sub(headGrad).amaxNumber().doubleValue() <= 1e-5 * headGrad.amaxNumber().doubleValue(),
                "fp32 head gradient");
    }
}
