package org.twllm.core.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.twllm.core.engine.LlamaConfig;
import org.twllm.core.engine.TokenBatch;

/**
 * The tiled attention: against the materialised one it replaced, against finite differences, its tiling
 * plan (skipped and masked tiles), and the memory it keeps between forward and backward.
 */
class AttentionTest {
    /** GQA: 6 query heads on 2 key/value heads, head dim 4. */
    private static final LlamaConfig CONFIG = new LlamaConfig(24, 8, 1, 6, 2, 11, 64, 1e-5, 500.0, false);

    /** Two rows of one example each: one plan shared by both rows. */
    private static TokenBatch causal(int t) {
        return TokenBatch.causal(new int[2][t], new int[2][t]);
    }

    /** Row 0: three packed examples of 4, 6 and 3 tokens (positions restart); row 1: one example of 13. */
    private static TokenBatch packed() {
        int t = 13;
        int[] positions = new int[2 * t];
        int[] examples = new int[2 * t];
        int[] lengths = {4, 6, 3};
        int p = 0;
        for (int e = 0; e < lengths.length; e++) {
            for (int i = 0; i < lengths[e]; i++, p++) {
                positions[p] = i;
                examples[p] = e;
            }
        }
        for (int i = 0; i < t; i++) {
            positions[t + i] = i;
        }
        return new TokenBatch(2, t, new int[2 * t], new int[2 * t], positions, examples);
    }

    /** normal(0, 1/hidden) weights: scores of order one, as in a trained model, not a near one-hot softmax. */
    private static INDArray[] weights(DataType dataType, long seed) {
        int h = CONFIG.hiddenSize();
        int kv = CONFIG.numKvHeads() * CONFIG.headDim();
        long[][] shapes = {{h, h}, {kv, h}, {kv, h}, {h, h}};
        INDArray[] w = new INDArray[shapes.length];
        for (int i = 0; i < w.length; i++) {
            w[i] = GradientCheck.random(seed + i, shapes[i]).muli(1.0 / Math.sqrt(h)).castTo(dataType);
        }
        return w;
    }

    private static final String[] PROJECTIONS = {"self_attn.q_proj.weight", "self_attn.k_proj.weight",
        "self_attn.v_proj.weight", "self_attn.o_proj.weight"};

    /** A parameter store holding {@code w} as layer 0's q, k, v and o projections. */
    private static TestParameters parameters(INDArray[] w) {
        TestParameters p = new TestParameters(CONFIG, w[0].dataType());
        for (int i = 0; i < w.length; i++) {
            p.set("model.layers.0." + PROJECTIONS[i], w[i]);
        }
        return p;
    }

    /** The store's views of layer 0's q, k, v, o projections (perturbing them changes what attention reads). */
    private static INDArray[] weightsOf(TestParameters p) {
        INDArray[] w = new INDArray[PROJECTIONS.length];
        for (int i = 0; i < w.length; i++) {
            w[i] = p.store.param("model.layers.0." + PROJECTIONS[i]);
        }
        return w;
    }

    /** The gradients backward gave for layer 0's q, k, v, o projections. */
    private static INDArray[] gradsOf(TestParameters p) {
        INDArray[] g = new INDArray[PROJECTIONS.length];
        for (int i = 0; i < g.length; i++) {
            g[i] = p.grad("model.layers.0." + PROJECTIONS[i]);
        }
        return g;
    }

    private static INDArray[] zeroGrads(INDArray[] weights) {
        INDArray[] g = new INDArray[weights.length];
        for (int i = 0; i < g.length; i++) {
            g[i] = Nd4j.zeros(weights[i].dataType(), weights[i].shape());
        }
        return g;
    }

    private static Rotary rotary() {
        return new Rotary(CONFIG.headDim(), CONFIG.ropeTheta());
    }

    /** max|a - b| / max|b|. */
    private static double relativeDifference(INDArray a, INDArray b) {
        double scale = Math.max(1e-30, b.amaxNumber().doubleValue());
        return a.sub(b).amaxNumber().doubleValue() / scale;
    }

    @ParameterizedTest(name = "{0} rows, tile {1}")
    @CsvSource({"causal, 4", "causal, 5", "causal, 64", "packed, 3", "packed, 4", "packed, 64"})
    void equalsTheMaterialisedAttentionInFp32(String rows, int tile) {
        TokenBatch batch = rows.equals("causal") ? causal(13) : packed();
        AttentionContext ctx = AttentionContext.of(batch, rotary(), DataType.FLOAT, tile);
        INDArray x = GradientCheck.random(1, 2L * 13, CONFIG.hiddenSize()).castTo(DataType.FLOAT);
        INDArray dy = GradientCheck.random(2, 2L * 13, CONFIG.hiddenSize()).castTo(DataType.FLOAT);
        INDArray[] w = weights(DataType.FLOAT, 3);

        TestParameters p = parameters(w);
        Attention tiled = new Attention(CONFIG, rotary(), p.store, 0, ActivationRounding.NONE);
        INDArray yTiled = tiled.forward(x, ctx);
        INDArray dxTiled = tiled.backward(dy, p.grads);
        INDArray[] gTiled = gradsOf(p);
        INDArray[] gReference = zeroGrads(w);
        MaterialisedAttention reference = new MaterialisedAttention(CONFIG, w, gReference);
        INDArray yReference = reference.forward(x, ctx, MaterialisedAttention.mask(batch, DataType.FLOAT));
        INDArray dxReference = reference.backward(dy);

        assertTrue(relativeDifference(yTiled, yReference) < 1e-6, "output: " + relativeDifference(yTiled, yReference));
        assertTrue(relativeDifference(dxTiled, dxReference) < 1e-6, "dx: " + relativeDifference(dxTiled, dxReference));
        for (int i = 0; i < 4; i++) {
            double d = relativeDifference(gTiled[i], gReference[i]);
            assertTrue(d < 1e-6, "weight " + List.of("q", "k", "v", "o").get(i) + ": " + d);
        }
    }

    @Test
    void causalRowsSharingOnePlanMatchFiniteDifferencesInFp64() {
        TokenBatch batch = causal(7);
        AttentionContext ctx = AttentionContext.of(batch, rotary(), DataType.DOUBLE, 3);
        assertTrue(ctx.tiling().sharedByAllRows());
        INDArray x = GradientCheck.random(1, 14, CONFIG.hiddenSize());
        INDArray r = GradientCheck.random(2, 14, CONFIG.hiddenSize());
        TestParameters p = parameters(weights(DataType.DOUBLE, 3));
        INDArray[] w = weightsOf(p);
        INDArray[] g = gradsOf(p);
        Attention attention = new Attention(CONFIG, rotary(), p.store, 0, ActivationRounding.NONE);
        attention.forward(x, ctx);
        INDArray dx = attention.backward(r, p.grads);
        double errX = GradientCheck.relativeError(x, dx, () -> GradientCheck.project(attention.forward(x, ctx), r), 16, 1);
        assertTrue(errX < 1e-6, "dx: " + errX);
        for (int i = 0; i < 4; i++) {
            double err = GradientCheck.relativeError(w[i], g[i], () -> GradientCheck.project(attention.forward(x, ctx), r), 12, 2 + i);
            assertTrue(err < 1e-6, "weight " + List.of("q", "k", "v", "o").get(i) + ": " + err);
        }
    }

    @Test
    void causalTilesAboveTheDiagonalAreSkippedAndOnlyTheDiagonalIsMasked() {
        AttentionTiling tiling = AttentionTiling.of(causal(1000), 100, DataType.FLOAT);
        assertEquals(1, tiling.plans());
        assertEquals(10 * 11 / 2, tiling.pairCount(0), "causal: the lower triangle of 10 x 10 tiles");
        for (int i = 0; i < 10; i++) {
            for (AttentionTiling.Pair p : tiling.pairsOfQueryTile(0, i)) {
                assertEquals(p.queryTile() == p.keyTile(), p.mask() != null, "tile " + p);
            }
        }
        // every diagonal tile has the same pattern: one mask is stored for all of them
        assertTrue(tiling.pairsOfQueryTile(0, 3)[3].mask() == tiling.pairsOfQueryTile(0, 7)[7].mask());
    }

    @Test
    void packedRowsSkipTilesAcrossExamples() {
        // row 0: examples of 4, 6 and 3 tokens in tiles of 4: [0,4) [4,8) [8,12) [12,13)
        AttentionTiling tiling = AttentionTiling.of(packed(), 4, DataType.FLOAT);
        assertEquals(2, tiling.plans());
        AttentionTiling.Pair[] lastQueries = tiling.pairsOfQueryTile(0, 3);
        assertEquals(List.of(2, 3), List.of(lastQueries[0].keyTile(), lastQueries[1].keyTile()),
                "position 12 (third example) sees keys 10..12: tiles 0 and 1 are skipped");
        AttentionTiling.Pair[] secondQueries = tiling.pairsOfQueryTile(0, 1);
        assertEquals(1, secondQueries.length, "positions 4..7 (second example) see nothing of the first example's tile");
        assertNotNull(secondQueries[0].mask(), "the diagonal tile [4,8) x [4,8) needs the causal mask");
        assertEquals(10, tiling.pairCount(1), "row 1 is plain causal");
        assertNull(tiling.pairsOfQueryTile(1, 2)[0].mask(), "a tile wholly before its queries, in one example, has no mask");
    }

    /**
     * The bytes attention's forward leaves in the caller's workspace (what it keeps for backward, plus
     * projections it frees only with the caller's workspace) must grow linearly with T; the materialised
     * attention's grow quadratically, which shows the measurement can tell them apart.
     */
    @Test
    void savedStateGrowsAsTTimesHiddenNotTSquared() {
        long[] tiled = new long[3];
        long[] materialised = new long[3];
        long[] tileWorkspace = new long[3];
        int[] lengths = {64, 128, 256};
        for (int n = 0; n < lengths.length; n++) {
            int t = lengths[n];
            TokenBatch batch = TokenBatch.causal(new int[1][t], new int[1][t]);
            INDArray[] w = weights(DataType.FLOAT, 3);
            TestParameters p = parameters(w);
            tiled[n] = bytesLeftByForward(batch, ctx -> new Attention(CONFIG, rotary(), p.store, 0, ActivationRounding.NONE)
                    .forward(GradientCheck.random(1, t, CONFIG.hiddenSize()).castTo(DataType.FLOAT), ctx));
            tileWorkspace[n] = Nd4j.getWorkspaceManager().getWorkspaceForCurrentThread(Workspaces.ATTENTION_TILE).getMaxCycleAllocations();
            materialised[n] = bytesLeftByForward(batch, ctx -> new MaterialisedAttention(CONFIG, w, zeroGrads(w))
                    .forward(GradientCheck.random(1, t, CONFIG.hiddenSize()).castTo(DataType.FLOAT), ctx,
                            MaterialisedAttention.mask(batch, DataType.FLOAT)));
        }
        for (int n = 1; n < lengths.length; n++) {
            double tiledGrowth = (double) tiled[n] / tiled[n - 1];
            double materialisedGrowth = (double) materialised[n] / materialised[n - 1];
            assertTrue(tiledGrowth < 2.05, "doubling T from " + lengths[n - 1] + " multiplied the tiled attention's bytes by "
                    + tiledGrowth + ": " + Arrays.toString(tiled));
            assertTrue(materialisedGrowth > 3, "the materialised attention's bytes grow quadratically: " + Arrays.toString(materialised));
            assertEquals(tileWorkspace[0], tileWorkspace[n], "the tile workspace does not depend on T");
        }
    }

    private static long bytesLeftByForward(TokenBatch batch, Function<AttentionContext, INDArray> forward) {
        try (MemoryWorkspace ws = Workspaces.open("twllm-test-attention-state")) {
            AttentionContext ctx = AttentionContext.of(batch, rotary(), DataType.FLOAT, 32);
            long before = ws.getThisCycleAllocations();
            forward.apply(ctx);
            return ws.getThisCycleAllocations() - before;
        }
    }
}
