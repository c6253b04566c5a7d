package org.twllm.core.model;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Multi-head self-attention with rotary embeddings and grouped-query heads (query head h uses key/value
 * head h / G, G = heads / kvHeads, as HF's repeat_kv). Queries are kept as [B, kvHeads, G*T, D] so each
 * key/value head is multiplied against its G query heads in one batched product, without repeating K or V.
 *
 * <p>Saved for backward: the input x, rotated q and k, v, the softmax probabilities and the pre-output
 * projection values (see docs/model.md for sizes).
 */
final class Attention {
    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final Rotary rotary;
    private final INDArray wq;
    private final INDArray wk;
    private final INDArray wv;
    private final INDArray wo;
    private final INDArray gq;
    private final INDArray gk;
    private final INDArray gv;
    private final INDArray go;

    private AttentionContext ctx;
    private INDArray input;
    private INDArray q;
    private INDArray k;
    private INDArray v;
    private INDArray probs;
    private INDArray merged;

    Attention(LlamaConfig config, Rotary rotary, INDArray[] weights, INDArray[] grads) {
        this.heads = config.numHeads();
        this.kvHeads = config.numKvHeads();
        this.headDim = config.headDim();
        this.rotary = rotary;
        this.wq = weights[0];
        this.wk = weights[1];
        this.wv = weights[2];
        this.wo = weights[3];
        this.gq = grads[0];
        this.gk = grads[1];
        this.gv = grads[2];
        this.go = grads[3];
    }

    /** {@code x} [N, hidden] -> [N, hidden]. */
    INDArray forward(INDArray x, AttentionContext context) {
        ctx = context;
        input = x;
        int b = context.batchSize();
        int t = context.seqLen();
        q = toHeads(Linear.forward(x, wq), heads, b, t);
        k = toHeads(Linear.forward(x, wk), kvHeads, b, t);
        v = toHeads(Linear.forward(x, wv), kvHeads, b, t);
        rotary.rotate(q, context.cos(), context.sin());
        rotary.rotate(k, context.cos(), context.sin());

        int group = heads / kvHeads;
        INDArray qGrouped = q.reshape('c', b, kvHeads, (long) group * t, headDim);
        INDArray scores = Nd4j.createUninitialized(x.dataType(), b, kvHeads, (long) group * t, t);
        Nd4j.matmul(qGrouped, k, scores, false, true, false);
        scores.muli(1.0 / Math.sqrt(headDim));
        scores.reshape('c', b, heads, t, t).addi(context.mask());
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
        Linear.accumulateWeightGrad(dy, merged, go);
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
        rotary.rotateBack(dqHeads, ctx.cos(), ctx.sin());
        rotary.rotateBack(dk, ctx.cos(), ctx.sin());

        INDArray dqFlat = fromHeads(dqHeads, heads, b, t);
        INDArray dkFlat = fromHeads(dk, kvHeads, b, t);
        INDArray dvFlat = fromHeads(dv, kvHeads, b, t);
        Linear.accumulateWeightGrad(dqFlat, input, gq);
        Linear.accumulateWeightGrad(dkFlat, input, gk);
        Linear.accumulateWeightGrad(dvFlat, input, gv);
        INDArray dx = Linear.inputGrad(dqFlat, wq);
        Linear.addInputGrad(dkFlat, wk, dx);
        Linear.addInputGrad(dvFlat, wv, dx);
        return dx;
    }

    /** [B*T, n*D] -> contiguous [B, n, T, D]. */
    private INDArray toHeads(INDArray flat, int n, int b, int t) {
        return flat.reshape('c', b, t, n, headDim).permute(0, 2, 1, 3).dup('c');
    }

    /** [B, n, T, D] -> contiguous [B*T, n*D]. */
    private INDArray fromHeads(INDArray perHead, int n, int b, int t) {
        return perHead.reshape('c', b, n, t, headDim).permute(0, 2, 1, 3).dup('c').reshape('c', (long) b * t, (long) n * headDim);
    }
}
