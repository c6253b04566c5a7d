package org.twllm.core.engine.cpu;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.twllm.core.engine.LlamaConfig;
import org.twllm.core.engine.ParameterLayout;
import org.twllm.core.engine.ParameterSpec;
import org.twllm.core.engine.cpu.StepProfile.Kind;

/**
 * Multi-head self-attention with rotary embeddings and grouped-query heads (query head h uses key/value
 * head h / G, G = heads / kvHeads, as HF's repeat_kv): the q, k, v and output projections around
 * {@link TiledAttention}. Queries are laid out [B, kvHeads, T*G, D], row {@code t*G + g} holding query head
 * {@code kv*G + g} of position t, so each key/value head meets its G query heads in one batched product and a
 * tile of positions is a contiguous block of rows; K and V are never repeated.
 *
 * <p>Saved for backward: the input x, the rotated q (scaled by 1/sqrt(D)) and k, v, the merged heads before
 * o_proj, and one log-sum-exp per query row and head (see docs/model.md for sizes). Nothing of size T^2.
 */
final class Attention {
    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final int group;
    private final double scale;
    private final Rotary rotary;
    private final INDArray wq;
    private final INDArray wk;
    private final INDArray wv;
    private final INDArray wo;
    private final ParameterSpec qSpec;
    private final ParameterSpec kSpec;
    private final ParameterSpec vSpec;
    private final ParameterSpec oSpec;
    private final ActivationRounding rounding;

    private AttentionContext ctx;
    private INDArray input;
    private INDArray q;
    private INDArray k;
    private INDArray v;
    private INDArray lse;
    private INDArray merged;

    Attention(LlamaConfig config, Rotary rotary, ParameterStore store, int layer, ActivationRounding rounding) {
        this.rounding = rounding;
        String p = ParameterLayout.layerPrefix(layer);
        this.heads = config.numHeads();
        this.kvHeads = config.numKvHeads();
        this.headDim = config.headDim();
        this.group = heads / kvHeads;
        this.scale = 1.0 / Math.sqrt(headDim);
        this.rotary = rotary;
        this.wq = store.param(p + "self_attn.q_proj.weight");
        this.wk = store.param(p + "self_attn.k_proj.weight");
        this.wv = store.param(p + "self_attn.v_proj.weight");
        this.wo = store.param(p + "self_attn.o_proj.weight");
        this.qSpec = store.spec(p + "self_attn.q_proj.weight");
        this.kSpec = store.spec(p + "self_attn.k_proj.weight");
        this.vSpec = store.spec(p + "self_attn.v_proj.weight");
        this.oSpec = store.spec(p + "self_attn.o_proj.weight");
    }

    /** {@code x} [N, hidden] -> [N, hidden]. */
    INDArray forward(INDArray x, AttentionContext context) {
        ctx = context;
        input = x;
        int b = context.batchSize();
        int t = context.seqLen();
        INDArray qFlat = Linear.forward(x, wq);
        INDArray kFlat = Linear.forward(x, wk);
        INDArray vFlat = Linear.forward(x, wv);
        StepProfile.lap(Kind.ATTENTION_PROJECTION);
        rotated(qFlat, heads);
        rotated(kFlat, kvHeads);
        StepProfile.lap(Kind.ELEMENTWISE);
        q = rounding.apply(toHeads(qFlat, group, headDim).muli(scale));
        k = rounding.apply(toHeads(kFlat, 1, headDim));
        v = rounding.apply(toHeads(vFlat, 1, headDim));

        INDArray out = Nd4j.createUninitialized(x.dataType(), b, kvHeads, (long) t * group, headDim);
        lse = Nd4j.createUninitialized(x.dataType(), b, kvHeads, (long) t * group, 1);
        StepProfile.lap(Kind.HEAD_LAYOUT);
        AttentionTiling tiling = context.tiling();
        for (int plan = 0; plan < tiling.plans(); plan++) {
            TiledAttention.forward(tiling, plan, slab(q, plan), slab(k, plan), slab(v, plan), slab(out, plan), slab(lse, plan));
        }
        merged = rounding.apply(fromHeads(out, group, headDim));
        StepProfile.lap(Kind.HEAD_LAYOUT);
        INDArray y = rounding.apply(Linear.forward(merged, wo));
        StepProfile.lap(Kind.ATTENTION_PROJECTION);
        return y;
    }

    /** Gives the weight gradients to {@code grads} (o, v, k, q: descending flat order) and returns dL/dx for {@code dy} [N, hidden]. */
    INDArray backward(INDArray dResidual, GradientWriter grads) {
        int b = ctx.batchSize();
        int t = ctx.seqLen();
        INDArray dy = rounding.copy(dResidual);
        grads.matrix(oSpec, Linear.weightGrad(dy, merged));
        INDArray dMerged = rounding.apply(Linear.inputGrad(dy, wo));
        StepProfile.lap(Kind.ATTENTION_PROJECTION);
        // rowsum(dO * O) per query row and head, computed on the merged layout and moved to the heads'
        INDArray rowDot = toHeads(dMerged.mul(merged).reshape('c', (long) b * t * heads, headDim).sum(true, 1)
                .reshape('c', (long) b * t, heads), group, 1);
        StepProfile.lap(Kind.ATTENTION_SOFTMAX);
        INDArray dOut = toHeads(dMerged, group, headDim);

        INDArray dq = Nd4j.zeros(dy.dataType(), b, kvHeads, (long) t * group, headDim);
        INDArray dk = Nd4j.zeros(dy.dataType(), b, kvHeads, t, headDim);
        INDArray dv = Nd4j.zeros(dy.dataType(), b, kvHeads, t, headDim);
        StepProfile.lap(Kind.HEAD_LAYOUT);
        AttentionTiling tiling = ctx.tiling();
        for (int plan = 0; plan < tiling.plans(); plan++) {
            TiledAttention.backward(tiling, plan, slab(q, plan), slab(k, plan), slab(v, plan), slab(lse, plan),
                    slab(dOut, plan), slab(rowDot, plan), slab(dq, plan), slab(dk, plan), slab(dv, plan));
        }
        // q was scaled before the products, so dq is the gradient of the scaled queries
        INDArray dqFlat = fromHeads(dq.muli(scale), group, headDim);
        INDArray dkFlat = fromHeads(dk, 1, headDim);
        INDArray dvFlat = fromHeads(dv, 1, headDim);
        StepProfile.lap(Kind.HEAD_LAYOUT);
        rotary.rotateBack(dqFlat.reshape('c', b, t, heads, headDim), ctx.cos(), ctx.sin());
        rotary.rotateBack(dkFlat.reshape('c', b, t, kvHeads, headDim), ctx.cos(), ctx.sin());
        rounding.apply(dqFlat);
        rounding.apply(dkFlat);
        rounding.apply(dvFlat);
        StepProfile.lap(Kind.ELEMENTWISE);
        grads.matrix(vSpec, Linear.weightGrad(dvFlat, input));
        grads.matrix(kSpec, Linear.weightGrad(dkFlat, input));
        grads.matrix(qSpec, Linear.weightGrad(dqFlat, input));
        INDArray dx = Linear.inputGrad(dqFlat, wq);
        Linear.addInputGrad(dkFlat, wk, dx);
        Linear.addInputGrad(dvFlat, wv, dx);
        StepProfile.lap(Kind.ATTENTION_PROJECTION);
        return dx;
    }

    /** {@code flat} [B*T, n*D] with rotary applied in place, per position and head. */
    private INDArray rotated(INDArray flat, int n) {
        rotary.rotate(flat.reshape('c', ctx.batchSize(), ctx.seqLen(), n, headDim), ctx.cos(), ctx.sin());
        return flat;
    }

    /** [B*T, kvHeads*g*w] -> contiguous [B, kvHeads, T*g, w] (g query heads per key/value head, width w). */
    private INDArray toHeads(INDArray flat, int g, int w) {
        return flat.reshape('c', ctx.batchSize(), ctx.seqLen(), kvHeads, g, w).permute(0, 2, 1, 3, 4).dup('c')
                .reshape('c', ctx.batchSize(), kvHeads, (long) ctx.seqLen() * g, w);
    }

    /** [B, kvHeads, T*g, w] -> contiguous [B*T, kvHeads*g*w]. */
    private INDArray fromHeads(INDArray perHead, int g, int w) {
        return perHead.reshape('c', ctx.batchSize(), kvHeads, ctx.seqLen(), g, w).permute(0, 2, 1, 3, 4).dup('c')
                .reshape('c', (long) ctx.batchSize() * ctx.seqLen(), (long) kvHeads * g * w);
    }

    /** The heads one plan covers, as [n, rows, w]: every row's when the plan is shared, else one row's. */
    private INDArray slab(INDArray perHead, int plan) {
        if (ctx.tiling().sharedByAllRows()) {
            return perHead.reshape('c', perHead.size(0) * perHead.size(1), perHead.size(2), perHead.size(3));
        }
        return perHead.get(NDArrayIndex.point(plan));
    }
}
