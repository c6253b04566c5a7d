package org.twllm.core.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.nd4j.linalg.api.buffer.DataType;
import org.twllm.core.engine.LlamaConfig;
import org.twllm.core.engine.TokenBatch;
import org.twllm.core.engine.cpu.StepProfile.Kind;

/**
 * The step profile's GEMM operation counts, which the speed benchmark divides by the GEMM kinds' times: each GEMM
 * kind counts exactly the products of one training step (from the model's shape and the attention plan), and
 * every other kind counts none, so no product is charged to a lap that is not a GEMM's.
 *
 * <p>The profile is switched on for the whole JVM, so this class runs in its own surefire execution with
 * {@code -Dtwllm.cpu.profile=true} (trainer-core's pom); the default execution, where the profile is off, skips it.
 */
@EnabledIfSystemProperty(named = "twllm.cpu.profile", matches = "true")
class StepProfileTest {
    private static final int TILE = 8;

    /** GQA (4 query heads on 2 key/value heads), head dimension 8. */
    private static final LlamaConfig CONFIG = new LlamaConfig(32, 48, 2, 4, 2, 50, 64, 1e-5, 500.0, false);

    @Test
    void gemmKindsCountTheStepsProductsAndNoOtherKindCountsAny() {
        // one cPT batch (a plan shared by both rows) and one packed SFT batch (a plan per row, masked and skipped pairs)
        for (TokenBatch batch : new TokenBatch[] {causalBatch(), GradientCheckpointingTest.packedBatch()}) {
            LlamaModel model = LlamaModel.random(CONFIG, DataType.FLOAT, 3, 0.2);
            model.setAttentionTileSize(TILE);
            StepProfile.reset();
            model.forwardBackward(batch, 1.0 / batch.trainedTokens(), ModelGradientTest.gradients(model));
            StepProfile.lap(Kind.GRADIENT_HANDOFF);

            long tokens = (long) batch.batchSize() * batch.seqLen();
            long h = CONFIG.hiddenSize();
            long kv = CONFIG.numKvHeads() * CONFIG.headDim();
            long layers = CONFIG.numLayers();
            // forward, input gradient and weight gradient: three products of each weight's size per token
            assertEquals(3 * 2.0 * tokens * layers * (2 * h * h + 2 * h * kv), StepProfile.flops(Kind.ATTENTION_PROJECTION));
            assertEquals(3 * 2.0 * tokens * layers * 3 * h * CONFIG.intermediateSize(), StepProfile.flops(Kind.MLP_GEMM));
            assertEquals(3 * 2.0 * batch.trainedTokens() * h * CONFIG.vocabSize(), StepProfile.flops(Kind.LM_HEAD_GEMM));
            assertEquals(layers * tileProductFlops(batch), StepProfile.flops(Kind.ATTENTION_TILE_GEMM));
            for (Kind kind : Kind.values()) {
                if (!kind.isGemm()) {
                    assertEquals(0.0, StepProfile.flops(kind), kind.label());
                }
            }
        }
    }

    /**
     * One layer's tile products: per run, forward's scores and PV, backward's recomputed scores, dV, dP, dQ and dK,
     * each [rows, D] by [D, keys] or the like, over the plan's heads (all rows' when the plan is shared).
     */
    private static double tileProductFlops(TokenBatch batch) {
        int group = CONFIG.numHeads() / CONFIG.numKvHeads();
        AttentionTiling tiling = AttentionTiling.of(batch, TILE, AttentionTiling.RUN_SCORES, CONFIG.numKvHeads(), group, DataType.FLOAT);
        long heads = (long) CONFIG.numKvHeads() * (tiling.sharedByAllRows() ? batch.batchSize() : 1);
        double flops = 0;
        for (int plan = 0; plan < tiling.plans(); plan++) {
            for (int i = 0; i < tiling.tileCount(); i++) {
                for (AttentionTiling.Run run : tiling.runsOfQueryTile(plan, i)) {
                    long queries = tiling.end(i) - tiling.start(i);
                    flops += 7 * 2.0 * heads * queries * group * run.keys() * CONFIG.headDim();
                }
            }
        }
        return flops;
    }

    /** Two rows of 20 positions, one example each: tiles of 8, 8 and 4 positions. */
    private static TokenBatch causalBatch() {
        SplittableRandom rng = new SplittableRandom(11);
        int[][] inputs = new int[2][20];
        int[][] targets = new int[2][20];
        for (int r = 0; r < 2; r++) {
            for (int t = 0; t < 20; t++) {
                inputs[r][t] = rng.nextInt(CONFIG.vocabSize());
                targets[r][t] = rng.nextInt(CONFIG.vocabSize());
            }
        }
        return TokenBatch.causal(inputs, targets);
    }
}
