package org.twllm.core.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.twllm.core.engine.LlamaConfig;
import org.twllm.core.engine.TokenBatch;

/** Every layer's backward against central finite differences in double precision. */
class LayerGradientTest {
    /** Bound on max|analytic - numeric| / max|numeric| for every layer (fp64, step 1e-6). */
    private static final double BOUND = 1e-6;
    /** hidden 6, intermediate 10, one layer, vocabulary 7: the shapes the single-layer checks use. */
    private static final LlamaConfig SMALL = new LlamaConfig(6, 10, 1, 1, 1, 7, 16, 1e-5, 500.0, false);

    @Test
    void rmsNorm() {
        INDArray x = GradientCheck.random(1, 5, 6);
        TestParameters p = new TestParameters(SMALL, DataType.DOUBLE);
        INDArray w = p.set("model.norm.weight", GradientCheck.random(2, 6).addi(1.0));
        INDArray gw = p.grad("model.norm.weight");
        INDArray r = GradientCheck.random(3, 5, 6);
        RmsNorm norm = new RmsNorm(p.store, "model.norm.weight", 1e-5, ActivationRounding.NONE);
        norm.forward(x);
        INDArray dx = norm.backward(r, p.grads);
        assertTrue(GradientCheck.relativeError(x, dx, () -> GradientCheck.project(norm.forward(x), r), 0, 0) < BOUND);
        assertTrue(GradientCheck.relativeError(w, gw, () -> GradientCheck.project(norm.forward(x), r), 0, 0) < BOUND);
    }

    @Test
    void swiGluMlp() {
        INDArray x = GradientCheck.random(1, 4, 6);
        TestParameters p = new TestParameters(SMALL, DataType.DOUBLE);
        String[] names = {"model.layers.0.mlp.gate_proj.weight", "model.layers.0.mlp.up_proj.weight", "model.layers.0.mlp.down_proj.weight"};
        INDArray[] w = {p.set(names[0], GradientCheck.random(2, 10, 6)), p.set(names[1], GradientCheck.random(3, 10, 6)),
            p.set(names[2], GradientCheck.random(4, 6, 10))};
        INDArray[] g = {p.grad(names[0]), p.grad(names[1]), p.grad(names[2])};
        INDArray r = GradientCheck.random(5, 4, 6);
        SwiGluMlp mlp = new SwiGluMlp(p.store, 0, ActivationRounding.NONE);
        mlp.forward(x);
        INDArray dx = mlp.backward(r, p.grads);
        assertTrue(GradientCheck.relativeError(x, dx, () -> GradientCheck.project(mlp.forward(x), r), 0, 0) < BOUND);
        for (int i = 0; i < 3; i++) {
            double err = GradientCheck.relativeError(w[i], g[i], () -> GradientCheck.project(mlp.forward(x), r), 0, 0);
            assertTrue(err < BOUND, "weight " + i + ": " + err);
        }
    }

    @Test
    void rotaryBackIsTheTransposeOfRotate() {
        Rotary rotary = new Rotary(6, 500.0);
        INDArray[] cs = rotary.tables(new int[] {0, 3, 7, 1, 0, 2}, 2, 3, DataType.DOUBLE);
        INDArray x = GradientCheck.random(1, 2, 3, 4, 6);   // [B, T, heads, D]
        INDArray y = GradientCheck.random(2, 2, 3, 4, 6);
        INDArray rx = x.dup();
        rotary.rotate(rx, cs[0], cs[1]);
        INDArray ry = y.dup();
        rotary.rotateBack(ry, cs[0], cs[1]);
        // <R x, y> == <x, R^T y>, and R^T R = I
        assertEquals(rx.mul(y).sumNumber().doubleValue(), x.mul(ry).sumNumber().doubleValue(), 1e-12);
        rotary.rotateBack(rx, cs[0], cs[1]);
        assertTrue(rx.equalsWithEps(x, 1e-12));
    }

    @Test
    void attentionWithGroupedHeadsAndPackedExamples() {
        LlamaConfig config = new LlamaConfig(16, 8, 1, 4, 2, 11, 32, 1e-5, 500.0, false);
        // row 0: two packed examples (positions restart); row 1: one example
        TokenBatch batch = new TokenBatch(2, 5, new int[10], new int[10],
                new int[] {0, 1, 2, 0, 1, 0, 1, 2, 3, 4}, new int[] {0, 0, 0, 1, 1, 0, 0, 0, 0, 0});
        // tiles of 2 positions: several key tiles per query, partial and skipped ones, a short last tile
        AttentionContext ctx = AttentionContext.of(batch, new Rotary(config.headDim(), config.ropeTheta()), DataType.DOUBLE,
                AttentionTiling.of(batch, 2, 0, config.numKvHeads(), config.numHeads() / config.numKvHeads(), DataType.DOUBLE));
        INDArray x = GradientCheck.random(1, 10, 16);
        TestParameters p = new TestParameters(config, DataType.DOUBLE);
        String[] names = {"model.layers.0.self_attn.q_proj.weight", "model.layers.0.self_attn.k_proj.weight",
            "model.layers.0.self_attn.v_proj.weight", "model.layers.0.self_attn.o_proj.weight"};
        INDArray[] w = {p.set(names[0], GradientCheck.random(2, 16, 16)), p.set(names[1], GradientCheck.random(3, 8, 16)),
            p.set(names[2], GradientCheck.random(4, 8, 16)), p.set(names[3], GradientCheck.random(5, 16, 16))};
        INDArray[] g = {p.grad(names[0]), p.grad(names[1]), p.grad(names[2]), p.grad(names[3])};
        INDArray r = GradientCheck.random(6, 10, 16);
        Attention attention = new Attention(config, new Rotary(config.headDim(), config.ropeTheta()), p.store, 0, ActivationRounding.NONE);
        attention.forward(x, ctx);
        INDArray dx = attention.backward(r, p.grads);
        // a random subset of entries per tensor keeps this test quick (each check is two full forwards)
        double errX = GradientCheck.relativeError(x, dx, () -> GradientCheck.project(attention.forward(x, ctx), r), 12, 1);
        assertTrue(errX < BOUND, "dx: " + errX);
        for (int i = 0; i < 4; i++) {
            double err = GradientCheck.relativeError(w[i], g[i], () -> GradientCheck.project(attention.forward(x, ctx), r), 12, 2 + i);
            assertTrue(err < BOUND, "weight " + List.of("q", "k", "v", "o").get(i) + ": " + err);
        }
    }

    @Test
    void crossEntropyWithIgnoredTargetsAndScale() {
        INDArray h = GradientCheck.random(1, 6, 5);
        INDArray head = GradientCheck.random(2, 9, 5);
        INDArray headGrad = Nd4j.zeros(DataType.DOUBLE, 9, 5);
        int[] targets = {3, TokenBatch.IGNORE, 0, 8, TokenBatch.IGNORE, 3};
        double scale = 0.37;
        CrossEntropy ce = new CrossEntropy(head);
        INDArray dh = Nd4j.zeros(DataType.DOUBLE, 6, 5);
        double loss = ce.forwardBackward(h, targets, scale, dh, headGrad);
        float[] lp = ce.targetLogProbs(h, targets);
        double sum = 0;
        for (float v : lp) {
            sum -= Float.isNaN(v) ? 0 : v;
        }
        assertEquals(loss, sum, 1e-5);
        assertTrue(Float.isNaN(lp[1]) && Float.isNaN(lp[4]));
        java.util.function.DoubleSupplier f = () -> scale * ce.forwardBackward(h, targets, 0.0, Nd4j.zeros(DataType.DOUBLE, 6, 5), headGrad);
        // scale 0 leaves the head gradient untouched during the finite differences
        assertTrue(GradientCheck.relativeError(h, dh, f, 16, 1) < BOUND);
        assertTrue(GradientCheck.relativeError(head, headGrad, f, 16, 2) < BOUND);
        assertEquals(0.0, dh.getRow(1).norm2Number().doubleValue(), 0.0, "ignored rows get no gradient");
    }

    @Test
    void embeddingAddsRowsForRepeatedIds() {
        INDArray table = GradientCheck.random(1, 7, 3);
        INDArray grad = Nd4j.zeros(DataType.DOUBLE, 7, 3);
        Embedding e = new Embedding(table);
        int[] ids = {4, 1, 4};
        INDArray out = e.forward(ids);
        assertTrue(out.getRow(2).equalsWithEps(table.getRow(4), 0));
        INDArray r = GradientCheck.random(2, 3, 3);
        Embedding.backward(ids, r, grad);
        assertTrue(GradientCheck.relativeError(table, grad, () -> GradientCheck.project(e.forward(ids), r), 0, 0) < BOUND);
    }
}
