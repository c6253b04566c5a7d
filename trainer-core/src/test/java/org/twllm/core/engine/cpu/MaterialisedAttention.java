package org.twllm.core.engine.cpu;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.twllm.core.engine.LlamaConfig;
import org.twllm.core.engine.TokenBatch;

/**
 * The reference for {@link Attention}: the model's attention before it was tiled, materialising the
 * [B, H, T, T] scores and probabilities with an additive [B or 1, 1, T, T] mask. Queries are kept as
 * [B, kvHeads, G*T, D] so each key/value head is multiplied against its G query heads in one batched product.
 * Saved for backward: the input x, rotated q and k, v, the softmax probabilities, the merged heads. Rotary is
 * applied here by broadcasting ND4J ops, independently of the model's fused pass.
 */
final class MaterialisedAttention {
    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final INDArray wq;
    private final INDArray wk;
    private final INDArray wv;
    private final INDArray wo;
    private final INDArray gq;
    private final INDArray gk;
    private final INDArray gv;
    private final INDArray go;

    private AttentionContext ctx;
    private INDArray mask;
    private INDArray cos;
    private INDArray sin;
    private INDArray input;
    private INDArray q;
    private INDArray k;
    private INDArray v;
    private INDArray probs;
    private INDArray merged;

    MaterialisedAttention(LlamaConfig config, INDArray[] weights, INDArray[] grads) {
        this.heads = config.numHeads();
        this.kvHeads = config.numKvHeads();
        this.headDim = config.headDim();
        this.wq = weights[0];
        this.wk = weights[1];
        this.wv = weights[2];
        this.wo = weights[3];
        this.gq = grads[0];
        this.gk = grads[1];
        this.gv = grads[2];
        this.go = grads[3];
    }

    /** The additive mask of {@code batch}: [1, 1, T, T] when every row is one example, else [B, 1, T, T]. */
    static INDArray mask(TokenBatch batch, DataType dataType) {
        int b = batch.batchSize();
        int t = batch.seqLen();
        int[] ex = batch.exampleIds();
        boolean oneExamplePerRow = true;
        for (int i = 0; i < b * t; i++) {
            oneExamplePerRow &= ex[i] == ex[(i / t) * t];
        }
        int rows = oneExamplePerRow ? 1 : b;
        float[] mask = new float[rows * t * t];
        for (int row = 0; row < rows; row++) {
            for (int q = 0; q < t; q++) {
                int base = (row * t + q) * t;
                int qExample = ex[row * t + q];
                for (int k = 0; k < t; k++) {
                    boolean visible = k <= q && ex[row * t + k] == qExample;
                    mask[base + k] = visible ? 0f : AttentionTiling.MASKED;
                }
            }
        }
        return Nd4j.create(mask, new long[] {rows, 1, t, t}, 'c').castTo(dataType);
    }

    /** {@code x} [N, hidden] -> [N, hidden]; {@code additiveMask} from {@link #mask}. */
    INDArray forward(INDArray x, AttentionContext context, INDArray additiveMask) {
        ctx = context;
        mask = additiveMask;
        input = x;
        int b = context.batchSize();
        int t = context.seqLen();
        // the model's tables are [B, T, 1, D/2]; the same values as [B, 1, T, D/2] broadcast over heads here
        cos = context.cos().reshape('c', b, 1, t, headDim / 2);
        sin = context.sin().reshape('c', b, 1, t, headDim / 2);
        q = toHeads(Linear.forward(x, wq), heads, b, t);
        k = toHeads(Linear.forward(x, wk), kvHeads, b, t);
        v = toHeads(Linear.forward(x, wv), kvHeads, b, t);
        rotate(q, cos, sin, 1.0);
        rotate(k, cos, sin, 1.0);

        int group = heads / kvHeads;
        INDArray qGrouped = q.reshape('c', b, kvHeads, (long) group * t, headDim);
        INDArray scores = Nd4j.createUninitialized(x.dataType(), b, kvHeads, (long) group * t, t);
        Nd4j.matmul(qGrouped, k, scores, false, true, false);
        scores.muli(1.0 / Math.sqrt(headDim));
        scores.reshape('c', b, heads, t, t).addi(mask);
        Nd4j.exec(new SoftMax(scores, scores, -1));
        probs = scores;

        INDArray out = Nd4j.createUninitialized(x.dataType(), b, kvHeads, (long) group * t, headDim);
        Nd4j.matmul(probs, v, out, false, false, false);
        merged = fromHeads(out, heads, b, t);
        return Linear.forward(merged, wo);
    }

    /** Adds the weight gradients and returns dL/dx for {@code dy} [N, hidden]. */
    INDArray backward(INDArray dy) {
        int b = ctx.batchSize();
        int t = ctx.seqLen();
        int group = heads / kvHeads;
        addWeightGrad(dy, merged, go);
        INDArray dOut = toHeads(Linear.inputGrad(dy, wo), heads, b, t).reshape('c', b, kvHeads, (long) group * t, headDim);

        INDArray dProbs = Nd4j.createUninitialized(dy.dataType(), b, kvHeads, (long) group * t, t);
        Nd4j.matmul(dOut, v, dProbs, false, true, false);
        INDArray dv = Nd4j.createUninitialized(dy.dataType(), b, kvHeads, t, headDim);
        Nd4j.matmul(probs, dOut, dv, true, false, false);

        // Softmax backward: dS = P * (dP - sum_k P dP), then the 1/sqrt(D) scale of the scores.
        INDArray rowDot = probs.mul(dProbs).sum(true, 3);
        INDArray dScores = dProbs.subi(rowDot).muli(probs).muli(1.0 / Math.sqrt(headDim));

        INDArray qGrouped = q.reshape('c', b, kvHeads, (long) group * t, headDim);
        INDArray dq = Nd4j.createUninitialized(dy.dataType(), b, kvHeads, (long) group * t, headDim);
        Nd4j.matmul(dScores, k, dq, false, false, false);
        INDArray dk = Nd4j.createUninitialized(dy.dataType(), b, kvHeads, t, headDim);
        Nd4j.matmul(dScores, qGrouped, dk, true, false, false);
        INDArray dqHeads = dq.reshape('c', b, heads, t, headDim);
        rotate(dqHeads, cos, sin, -1.0);
        rotate(dk, cos, sin, -1.0);

        INDArray dqFlat = fromHeads(dqHeads, heads, b, t);
        INDArray dkFlat = fromHeads(dk, kvHeads, b, t);
        INDArray dvFlat = fromHeads(dv, kvHeads, b, t);
        addWeightGrad(dqFlat, input, gq);
        addWeightGrad(dkFlat, input, gk);
        addWeightGrad(dvFlat, input, gv);
        INDArray dx = Linear.inputGrad(dqFlat, wq);
        Linear.addInputGrad(dkFlat, wk, dx);
        Linear.addInputGrad(dvFlat, wv, dx);
        return dx;
    }

    /** g += dy^T x, the whole weight at once. */
    private static void addWeightGrad(INDArray dy, INDArray x, INDArray g) {
        Linear.weightGrad(dy, x).compute(0, g.size(0), g, true);
    }

    /** [B*T, n*D] -> contiguous [B, n, T, D]. */
    private INDArray toHeads(INDArray flat, int n, int b, int t) {
        return flat.reshape('c', b, t, n, headDim).permute(0, 2, 1, 3).dup('c');
    }

    /** [B, n, T, D] -> contiguous [B*T, n*D]. */
    private INDArray fromHeads(INDArray perHead, int n, int b, int t) {
        return perHead.reshape('c', b, n, t, headDim).permute(0, 2, 1, 3).dup('c').reshape('c', (long) b * t, (long) n * headDim);
    }

    /** HF rotate-half in place on [B, heads, T, D] with [B, 1, T, D/2] tables; {@code direction} -1 is the transpose. */
    private void rotate(INDArray x, INDArray cos, INDArray sin, double direction) {
        int half = headDim / 2;
        INDArray x1 = x.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, half));
        INDArray x2 = x.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(half, 2 * half));
        INDArray signedSin = sin.mul(direction);
        INDArray out1 = x1.mul(cos).subi(x2.mul(signedSin));
        INDArray out2 = x2.mul(cos).addi(x1.mul(signedSin));
        x1.assign(out1);
        x2.assign(out2);
    }
}
