package org.twllm.core.engine.cpu;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.twllm.core.engine.TokenBatch;

/**
 * Which scores of one batch's attention have to be computed, and how: the sequence is cut into tiles of
 * {@code tileSize} positions (the last one may be shorter); query t sees key s iff {@code s <= t} and both carry the
 * same example id. A (query tile, key tile) pair where no query sees any key is skipped (every key tile after the
 * query tile, and, in packed rows, tiles of different examples). The key tiles a query tile sees are taken a
 * {@link Run} at a time: consecutive visible key tiles, as many as fit in {@code runScores} scores over the plan's
 * heads, so one product covers a run (few, large GEMMs) while the score block stays bounded whatever T is.
 *
 * <p>A run where every query sees every key needs no mask; otherwise it carries an additive mask (0 or
 * {@link #MASKED}) over its keys from the first tile that is not wholly visible ({@link Run#maskStart}) to its end,
 * of shape [1, queries, 1, maskKeys], broadcast over the heads and the query-head group.
 *
 * <p>When every row is one example (cPT) all rows share one plan ({@link #sharedByAllRows()}), so the products run
 * over every row at once; otherwise each row has its own plan. Equal masks are stored once (a causal plan holds one,
 * the diagonal tile's, a packed row a few per example boundary), never a [T, T] mask.
 */
final class AttentionTiling {
    /** Added to the scores of hidden keys; exp() of it underflows to exactly 0 in fp32 and fp64. */
    static final float MASKED = -1e9f;

    /**
     * Scores of one run over the plan's heads (4M: 16 MiB in fp32, and as much again for their gradient): at
     * seq 512 x 4 and seq 2048 x 1 of the benchmark model every query tile's keys are one run.
     */
    static final long RUN_SCORES = 1L << 22;

    private static final int MIN_TILE = 128;
    private static final int MAX_TILE = 512;
    private static final int MAX_TILES = 8;
    private static final int TILE_OVERRIDE = Integer.getInteger("twllm.cpu.attentionTile", 0);

    /**
     * Positions per tile, for queries and keys alike: the smallest of 128, 256 and 512 that cuts the sequence into at
     * most 8 tiles. Bigger tiles make bigger, faster products and fewer ops per step, smaller ones waste less of the
     * diagonal tiles' masked half (docs/performance.md).
     * {@code -Dtwllm.cpu.attentionTile=N} fixes it for a benchmark's A/B ({@code twllm plan} assumes the rule).
     */
    static int tileSize(int seqLen) {
        if (TILE_OVERRIDE > 0) {
            return TILE_OVERRIDE;
        }
        for (int tile = MIN_TILE; tile < MAX_TILE; tile *= 2) {
            if ((seqLen + tile - 1) / tile <= MAX_TILES) {
                return tile;
            }
        }
        return MAX_TILE;
    }

    /**
     * The most keys one run spans: whole tiles, as many as keep {@code heads x tile x group} score rows within
     * {@code runScores}, and at least one tile ({@code CpuEngineMemory} sizes the score workspace by the same rule).
     */
    static long maxRunKeys(int tileSize, long heads, int group, long runScores) {
        long tiles = Math.max(1, runScores / (heads * tileSize * group * tileSize));
        return Math.min(tiles, Integer.MAX_VALUE / tileSize) * tileSize;
    }

    /**
     * Keys {@code [keyStart, keyEnd)} for the queries of {@code queryTile}, computed as one product. {@code mask} is
     * null when every query sees every key; else it covers keys {@code [maskStart, keyEnd)} (the keys before are all
     * visible), and {@code maskValues} is the same mask as a [queries * maskKeys] array for the fp32 passes.
     */
    record Run(int queryTile, int keyStart, int keyEnd, int maskStart, INDArray mask, float[] maskValues) {
        int keys() {
            return keyEnd - keyStart;
        }
    }

    /** An additive mask, as an ND4J array and as its values. */
    private record Mask(INDArray array, float[] values) {
    }

    /** A visibility pattern with its shape (the same bits can belong to blocks of other sizes). */
    private record MaskKey(int queries, int keys, BitSet visible) {
    }

    private final int tileSize;
    private final int seqLen;
    private final boolean shared;
    /** [plan][query tile]: the runs to compute, keys ascending. */
    private final Run[][][] runs;

    private AttentionTiling(int tileSize, int seqLen, boolean shared, Run[][][] runs) {
        this.tileSize = tileSize;
        this.seqLen = seqLen;
        this.shared = shared;
        this.runs = runs;
    }

    /**
     * The plan of {@code batch} for a model with {@code kvHeads} key/value heads of {@code group} query heads each,
     * runs bounded by {@code runScores} scores ({@link #RUN_SCORES}; 0 makes every run one tile).
     */
    static AttentionTiling of(TokenBatch batch, int tileSize, long runScores, int kvHeads, int group, DataType dataType) {
        if (tileSize <= 0) {
            throw new IllegalArgumentException("attention tile size must be positive, got " + tileSize);
        }
        int b = batch.batchSize();
        int t = batch.seqLen();
        int tiles = (t + tileSize - 1) / tileSize;
        boolean shared = everyRowOneExample(batch.exampleIds(), b, t);
        int plans = shared ? 1 : b;
        long runKeys = maxRunKeys(tileSize, (long) kvHeads * (shared ? b : 1), group, runScores);
        // the plan's tile geometry serves the planners; its runs are filled in below
        AttentionTiling tiling = new AttentionTiling(tileSize, t, shared, new Run[plans][tiles][]);
        Map<MaskKey, Mask> masks = new HashMap<>();
        for (int plan = 0; plan < plans; plan++) {
            int[] ex = new int[t];
            System.arraycopy(batch.exampleIds(), plan * t, ex, 0, t);
            RowPlanner planner = new RowPlanner(ex, tiling, dataType, masks);
            for (int i = 0; i < tiles; i++) {
                tiling.runs[plan][i] = planner.runs(i, runKeys);
            }
        }
        return tiling;
    }

    int tileCount() {
        return runs[0].length;
    }

    /** First position of {@code tile}. */
    int start(int tile) {
        return tile * tileSize;
    }

    /** One past the last position of {@code tile}. */
    int end(int tile) {
        return Math.min(seqLen, (tile + 1) * tileSize);
    }

    /** True when one plan serves every row (every row is one example); then {@link #plans()} is 1. */
    boolean sharedByAllRows() {
        return shared;
    }

    /** Number of plans: 1 when shared by all rows, else one per row. */
    int plans() {
        return runs.length;
    }

    Run[] runsOfQueryTile(int plan, int queryTile) {
        return runs[plan][queryTile];
    }

    private static boolean everyRowOneExample(int[] exampleIds, int b, int t) {
        for (int row = 0; row < b; row++) {
            for (int i = 1; i < t; i++) {
                if (exampleIds[row * t + i] != exampleIds[row * t]) {
                    return false;
                }
            }
        }
        return true;
    }

    /** Classifies the tiles of one row's example ids and groups the visible ones into runs. */
    private static final class RowPlanner {
        private final int[] ex;
        private final AttentionTiling tiles;
        private final DataType dataType;
        private final Map<MaskKey, Mask> masks;
        /** runStart[t]: the first position of the run of equal example ids that ends at t. */
        private final int[] runStart;

        RowPlanner(int[] ex, AttentionTiling tiles, DataType dataType, Map<MaskKey, Mask> masks) {
            this.ex = ex;
            this.tiles = tiles;
            this.dataType = dataType;
            this.masks = masks;
            this.runStart = new int[ex.length];
            for (int t = 1; t < ex.length; t++) {
                runStart[t] = ex[t] == ex[t - 1] ? runStart[t - 1] : t;
            }
        }

        /** The runs of query tile i: its visible key tiles (never one after it), consecutive ones joined up to {@code maxKeys}. */
        Run[] runs(int i, long maxKeys) {
            List<Run> out = new ArrayList<>();
            int first = -1;
            int firstMasked = -1;
            for (int j = 0; j <= i; j++) {
                Visibility v = visibility(i, j);
                boolean joins = first >= 0 && tiles.end(j) - tiles.start(first) <= maxKeys;
                if (v == Visibility.NONE || !joins) {
                    if (first >= 0) {
                        out.add(run(i, first, j - 1, firstMasked));
                    }
                    first = v == Visibility.NONE ? -1 : j;
                    firstMasked = v == Visibility.SOME ? j : -1;
                } else if (v == Visibility.SOME && firstMasked < 0) {
                    firstMasked = j;
                }
            }
            if (first >= 0) {
                out.add(run(i, first, i, firstMasked));
            }
            return out.toArray(new Run[0]);
        }

        private enum Visibility { NONE, SOME, ALL }

        /** Whether the queries of tile i see none, some or all of the keys of tile j. */
        private Visibility visibility(int i, int j) {
            int q0 = tiles.start(i);
            int q1 = tiles.end(i);
            int k0 = tiles.start(j);
            int k1 = tiles.end(j);
            // one example from k0 to q1 - 1 and every key at or before every query: all visible, no scan
            if (runStart[q1 - 1] <= k0 && k1 - 1 <= q0) {
                return Visibility.ALL;
            }
            int count = visible(q0, q1, k0, k1).cardinality();
            return count == 0 ? Visibility.NONE : count == (q1 - q0) * (k1 - k0) ? Visibility.ALL : Visibility.SOME;
        }

        /** Key tiles {@code first..last} for query tile i, masked from tile {@code firstMasked} (none when negative). */
        private Run run(int i, int first, int last, int firstMasked) {
            int k0 = tiles.start(first);
            int k1 = tiles.end(last);
            if (firstMasked < 0) {
                return new Run(i, k0, k1, k1, null, null);
            }
            int m0 = tiles.start(firstMasked);
            int queries = tiles.end(i) - tiles.start(i);
            int keys = k1 - m0;
            BitSet visible = visible(tiles.start(i), tiles.end(i), m0, k1);
            Mask mask = masks.computeIfAbsent(new MaskKey(queries, keys, visible), key -> additiveMask(visible, queries, keys));
            return new Run(i, k0, k1, m0, mask.array(), mask.values());
        }

        /** Which keys of [k0, k1) each query of [q0, q1) sees, row by row. */
        private BitSet visible(int q0, int q1, int k0, int k1) {
            int keys = k1 - k0;
            BitSet visible = new BitSet((q1 - q0) * keys);
            for (int t = q0; t < q1; t++) {
                for (int s = k0; s < Math.min(k1, t + 1); s++) {
                    if (ex[s] == ex[t]) {
                        visible.set((t - q0) * keys + (s - k0));
                    }
                }
            }
            return visible;
        }

        private Mask additiveMask(BitSet visible, int queries, int keys) {
            float[] values = new float[queries * keys];
            for (int p = 0; p < values.length; p++) {
                values[p] = visible.get(p) ? 0f : MASKED;
            }
            return new Mask(Nd4j.create(values, new long[] {1, queries, 1, keys}, 'c').castTo(dataType), values);
        }
    }
}
