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

    /** Runs of whole rows: each query tile meets all the keys it sees in one product. */
    private static final long WHOLE_ROWS = Long.MAX_VALUE;

    /** The plan of {@code batch} for CONFIG's heads; {@code runScores} 0 makes every run one tile. */
    private static AttentionTiling tiling(TokenBatch batch, int tile, long runScores, DataType dataType) {
        return AttentionTiling.of(batch, tile, runScores, CONFIG.numKvHeads(), CONFIG.numHeads() / CONFIG.numKvHeads(), dataType);
    }

    private static AttentionContext context(TokenBatch batch, DataType dataType, int tile, long runScores) {
        return AttentionContext.of(batch, rotary(), dataType, tiling(batch, tile, runScores, dataType));
    }

    /** max|a - b| / max|b|. */
    private static double relativeDifference(INDArray a, INDArray b) {
        double scale = Math.max(1e-30, b.amaxNumber().doubleValue());
        return a.sub(b).amaxNumber().doubleValue() / scale;
    }

    /** {@code runTiles}: key tiles per run at most (0: whole rows), so online softmax across runs is covered too. */
    @ParameterizedTest(name = "{0} rows, tile {1}, runs of {2} tiles")
    @CsvSource({"causal, 4, 1", "causal, 4, 2", "causal, 4, 0", "causal, 5, 1", "causal, 64, 0", "packed, 3, 1", "packed, 3, 2",
        "packed, 3, 0", "packed, 4, 1", "packed, 4, 0", "packed, 64, 0"})
    void equalsTheMaterialisedAttentionInFp32(String rows, int tile, int runTiles) {
        TokenBatch batch = rows.equals("causal") ? causal(13) : packed();
        // the plan's heads: both rows' in the shared causal plan, one row's when packed
        long heads = (long) CONFIG.numKvHeads() * (rows.equals("causal") ? 2 : 1);
        long runScores = runTiles == 0 ? WHOLE_ROWS : runTiles * heads * tile * (CONFIG.numHeads() / CONFIG.numKvHeads()) * tile;
        AttentionContext ctx = context(batch, DataType.FLOAT, tile, runScores);
        long widest = 0;
        for (int plan = 0; plan < ctx.tiling().plans(); plan++) {
            for (int i = 0; i < ctx.tiling().tileCount(); i++) {
                for (AttentionTiling.Run run : ctx.tiling().runsOfQueryTile(plan, i)) {
                    widest = Math.max(widest, run.keys());
                }
            }
        }
        assertTrue(runTiles == 0 || widest <= (long) runTiles * tile, "a run spans at most " + runTiles + " tiles, widest " + widest);
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

    @ParameterizedTest(name = "runs of {0} scores")
    @CsvSource({"0", "9223372036854775807"})
    void causalRowsSharingOnePlanMatchFiniteDifferencesInFp64(long runScores) {
        TokenBatch batch = causal(7);
        AttentionContext ctx = context(batch, DataType.DOUBLE, 3, runScores);
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
        AttentionTiling tiling = tiling(causal(1000), 100, 0, DataType.FLOAT);
        assertEquals(1, tiling.plans());
        int runs = 0;
        for (int i = 0; i < 10; i++) {
            AttentionTiling.Run[] tileRuns = tiling.runsOfQueryTile(0, i);
            assertEquals(i + 1, tileRuns.length, "query tile " + i + " sees key tiles 0.." + i + ", one run each");
            for (AttentionTiling.Run run : tileRuns) {
                assertEquals(100, run.keys());
                assertEquals(run.keyStart() == tiling.start(i), run.mask() != null, "run " + run);
                runs++;
            }
        }
        assertEquals(10 * 11 / 2, runs, "causal: the lower triangle of 10 x 10 tiles");
        // every diagonal tile has the same pattern: one mask is stored for all of them
        assertTrue(tiling.runsOfQueryTile(0, 3)[3].mask() == tiling.runsOfQueryTile(0, 7)[7].mask());
    }

    @Test
    void wholeRowRunsMaskOnlyTheirDiagonalTile() {
        AttentionTiling tiling = tiling(causal(1000), 100, WHOLE_ROWS, DataType.FLOAT);
        for (int i = 0; i < 10; i++) {
            AttentionTiling.Run[] runs = tiling.runsOfQueryTile(0, i);
            assertEquals(1, runs.length, "query tile " + i);
            assertEquals(List.of(0, tiling.end(i), tiling.start(i)), List.of(runs[0].keyStart(), runs[0].keyEnd(), runs[0].maskStart()));
            assertTrue(runs[0].mask() == tiling.runsOfQueryTile(0, 0)[0].mask(), "the diagonal tile's mask, stored once");
        }
        // a budget of three tiles' scores over the plan's heads (2 rows x 2 key/value heads, 3 query heads each)
        AttentionTiling bounded = tiling(causal(1000), 100, 3L * 2 * 2 * 100 * 3 * 100, DataType.FLOAT);
        AttentionTiling.Run[] last = bounded.runsOfQueryTile(0, 9);
        assertEquals(List.of(0, 300, 600, 900), Arrays.stream(last).map(AttentionTiling.Run::keyStart).toList());
        assertEquals(List.of(true, true, true, false), Arrays.stream(last).map(r -> r.mask() == null).toList());
    }

    @Test
    void packedRowsSkipTilesAcrossExamples() {
        // row 0: examples of 4, 6 and 3 tokens in tiles of 4: [0,4) [4,8) [8,12) [12,13)
        AttentionTiling tiling = tiling(packed(), 4, 0, DataType.FLOAT);
        assertEquals(2, tiling.plans());
        AttentionTiling.Run[] lastQueries = tiling.runsOfQueryTile(0, 3);
        assertEquals(List.of(8, 12), List.of(lastQueries[0].keyStart(), lastQueries[1].keyStart()),
                "position 12 (third example) sees keys 10..12: tiles 0 and 1 are skipped");
        AttentionTiling.Run[] secondQueries = tiling.runsOfQueryTile(0, 1);
        assertEquals(1, secondQueries.length, "positions 4..7 (second example) see nothing of the first example's tile");
        assertNotNull(secondQueries[0].mask(), "the diagonal tile [4,8) x [4,8) needs the causal mask");
        assertNull(tiling.runsOfQueryTile(1, 2)[0].mask(), "a tile wholly before its queries, in one example, has no mask");

        AttentionTiling whole = tiling(packed(), 4, WHOLE_ROWS, DataType.FLOAT);
        AttentionTiling.Run[] last = whole.runsOfQueryTile(0, 3);
        assertEquals(1, last.length, "the visible tiles 2 and 3 make one run");
        assertEquals(List.of(8, 13, 8), List.of(last[0].keyStart(), last[0].keyEnd(), last[0].maskStart()),
                "masked from tile 2 on: its keys 8 and 9 belong to the second example");
        AttentionTiling.Run[] row1 = whole.runsOfQueryTile(1, 2);
        assertEquals(List.of(0, 12, 8), List.of(row1[0].keyStart(), row1[0].keyEnd(), row1[0].maskStart()),
                "row 1 is plain causal: tiles 0 and 1 are wholly visible, the diagonal is masked");
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
            AttentionContext ctx = context(batch, DataType.FLOAT, 32, 0);
            long before = ws.getThisCycleAllocations();
            forward.apply(ctx);
            return ws.getThisCycleAllocations() - before;
        }
    }
}
