package org.twllm.core.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

/** The CUDA engine's host-side logic: tile planning, launch geometry, the kernel catalogue, chunking. */
class HostLogicTest {
    @Test
    void causalPlanCoversEveryVisiblePairAndAboutHalfTheSquare() {
        int t = 4096;
        AttentionPlan plan = new AttentionPlan(new int[t], 1, t, 128);
        assertEquals(32, plan.tilesPerRow());
        for (int j = 0; j < plan.tilesPerRow(); j++) {
            assertEquals(j * 128, plan.queryStart(j));
            assertEquals(t, plan.queryEnd(0, j), "a plain causal row: every later query sees the tile");
        }
        double share = plan.coveredPairs(0) / ((double) t * t);
        assertTrue(share > 0.5 && share < 0.52, "causal attention computes about half the tiles: " + share);
    }

    @Test
    void packedPlanSkipsTilesAcrossExamplesAndStillCoversEveryVisiblePair() {
        int t = 23;
        int[] ex = new int[2 * t];
        for (int s = 0; s < t; s++) {
            ex[t + s] = s < 5 ? 0 : s < 14 ? 1 : 2; // row 1: examples of 5, 9 and 9 positions
        }
        AttentionPlan plan = new AttentionPlan(ex, 2, t, 4);
        assertEquals(6, plan.tilesPerRow());
        assertEquals(3, plan.keyCount(5), "the last tile is short");
        for (int b = 0; b < 2; b++) {
            for (int q = 0; q < t; q++) {
                for (int k = 0; k <= q; k++) {
                    if (HostReference.visible(ex, b * t, q, k)) {
                        int j = k / 4;
                        assertTrue(q >= plan.queryStart(j) && q < plan.queryEnd(b, j), "pair (" + q + ", " + k + ") is planned");
                    }
                }
            }
        }
        assertEquals(5, plan.queryEnd(1, 0), "tile 0 (keys 0..3, example 0) is seen by queries up to example 0's end");
        assertEquals(14, plan.queryEnd(1, 1), "tile 1 (keys 4..7 of examples 0 and 1) up to example 1's end");
        assertTrue(plan.coveredPairs(1) < plan.coveredPairs(0), "the packed row computes fewer pairs than the causal row");
    }

    @Test
    void planRejectsBadShapes() {
        assertThrows(IllegalArgumentException.class, () -> new AttentionPlan(new int[5], 1, 6, 4));
        assertThrows(IllegalArgumentException.class, () -> new AttentionPlan(new int[6], 1, 6, 0));
    }

    @Test
    void launchGeometryCoversAnySizeWithACappedGrid() {
        assertEquals(1, LaunchGeometry.blocks(0, 256, 100));
        assertEquals(1, LaunchGeometry.blocks(256, 256, 100));
        assertEquals(2, LaunchGeometry.blocks(257, 256, 100));
        assertEquals(100, LaunchGeometry.blocks(13_000_000_000L, 256, 100), "64-bit counts are grid-strided");
        assertEquals(7, LaunchGeometry.rowBlocks(7, 100));
        assertEquals(100, LaunchGeometry.rowBlocks(4096, 100));
        assertEquals(64, LaunchGeometry.weightGradChunks(4096, 1000));
        assertEquals(1, LaunchGeometry.weightGradChunks(5, 1000));
        assertEquals(LaunchGeometry.MAX_GRID_Y, LaunchGeometry.weightGradChunks(Integer.MAX_VALUE, Integer.MAX_VALUE));
    }

    @Test
    void lmHeadChunksHoldAtLeastOneRowAndAtMostTheBudget() {
        assertEquals(512, ChunkedLmHead.chunkRows(4096, 32000, 512L * 32000));
        assertEquals(1, ChunkedLmHead.chunkRows(4096, 32000, 10));
        assertEquals(7, ChunkedLmHead.chunkRows(7, 32000, 1L << 30));
    }

    @Test
    void everyEntryPointHasAUniqueNameAndIndex() {
        Set<String> names = new HashSet<>();
        List<Kernel.Entry> entries = Kernel.entries();
        for (int i = 0; i < entries.size(); i++) {
            assertEquals(i, entries.get(i).index());
            assertTrue(names.add(entries.get(i).name()), "duplicate " + entries.get(i).name());
        }
        assertEquals("rmsnorm_forward_bf16", Kernel.RMSNORM_FORWARD.entry(StorageType.BF16).name());
        assertEquals("embedding_backward", Kernel.EMBEDDING_BACKWARD.entry(StorageType.BF16).name());
    }

    @Test
    void argumentsAreCheckedAgainstTheSignature() {
        KernelArgs args = new KernelArgs().ptr(1).ptr(2).ptr(3).i32(4).i32(5);
        args.requireMatches(Kernel.EMBEDDING_BACKWARD);
        assertThrows(IllegalArgumentException.class, () -> args.requireMatches(Kernel.RMSNORM_FORWARD));
        KernelArgs wrongType = new KernelArgs().ptr(1).ptr(2).ptr(3).i64(4).i32(5);
        assertThrows(IllegalArgumentException.class, () -> wrongType.requireMatches(Kernel.EMBEDDING_BACKWARD));
        assertEquals(0xFFFFFFFFL, new KernelArgs().i32(-1).bits(0), "a 32-bit value fills the low half of its slot");
        assertEquals(Float.floatToRawIntBits(1.5f), (int) new KernelArgs().f32(1.5f).bits(0));
    }

    @Test
    void adamWStepScalarsAreTheCpuOptimizers() {
        AdamWStep s = AdamWStep.of(0.9, 0.95, 1e-8, 0.1, 1e-3, 3, 0.5);
        assertEquals(1e-3 / (1 - Math.pow(0.9, 3)), s.stepSize());
        assertEquals(Math.sqrt(1 - Math.pow(0.95, 3)), s.bc2Sqrt());
        assertEquals(1 - 1e-3 * 0.1, s.decayFactor());
        assertEquals(0.5, s.gradScale());
    }
}
