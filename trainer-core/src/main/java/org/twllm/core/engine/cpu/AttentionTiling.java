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
 * Which (query tile, key tile) pairs of one batch's attention have to be computed, and how: the sequence is
 * cut into tiles of {@code tileSize} positions (the last one may be shorter); query t sees key s iff
 * {@code s <= t} and both carry the same example id. A pair where no query sees any key is skipped (every
 * key tile after the query tile, and, in packed rows, tiles of different examples); a pair where every query
 * sees every key needs no mask; any other pair carries an additive mask (0 or {@link #MASKED}) of shape
 * [1, queries, 1, keys], broadcast over the heads and the query-head group.
 *
 * <p>When every row is one example (cPT) all rows share one plan ({@link #sharedByAllRows()}), so the tiled
 * products run over every row at once; otherwise each row has its own plan. Equal masks are stored once (a
 * causal plan holds one, a packed row a few per example boundary), never a [T, T] mask.
 */
final class AttentionTiling {
    /** Added to the scores of hidden keys; exp() of it underflows to exactly 0 in fp32 and fp64. */
    static final float MASKED = -1e9f;

    private static final int MIN_TILE = 128;
    private static final int MAX_TILE = 512;
    private static final int MAX_TILES = 8;
    private static final int TILE_OVERRIDE = Integer.getInteger("twllm.cpu.attentionTile", 0);

    /**
     * Positions per tile, for queries and keys alike: the smallest of 128, 256 and 512 that cuts the sequence into at
     * most 8 tiles. Bigger tiles make bigger, faster products and fewer ops per step, smaller ones waste less of the
     * diagonal tiles' masked half: 128 was fastest at T = 512, 256 and 512 at T = 2048 (docs/performance.md).
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
     * One pair to compute; {@code mask} is null when every query of the tile sees every key of it, and
     * {@code maskValues} is the same mask as a [queries * keys] array for the fp32 passes that read it as they go.
     */
    record Pair(int queryTile, int keyTile, INDArray mask, float[] maskValues) {
    }

    /** An additive mask, as an ND4J array and as its values. */
    private record Mask(INDArray array, float[] values) {
    }

    /** A visibility pattern with its shape (the same bits can belong to tiles of other sizes). */
    private record MaskKey(int queries, int keys, BitSet visible) {
    }

    private final int tileSize;
    private final int seqLen;
    private final boolean shared;
    /** [plan][query tile]: the pairs to compute, key tiles ascending. */
    private final Pair[][][] byQueryTile;
    /** [plan][key tile]: the same pairs, query tiles ascending. */
    private final Pair[][][] byKeyTile;

    private AttentionTiling(int tileSize, int seqLen, boolean shared, Pair[][][] byQueryTile, Pair[][][] byKeyTile) {
        this.tileSize = tileSize;
        this.seqLen = seqLen;
        this.shared = shared;
        this.byQueryTile = byQueryTile;
        this.byKeyTile = byKeyTile;
    }

    static AttentionTiling of(TokenBatch batch, int tileSize, DataType dataType) {
        if (tileSize <= 0) {
            throw new IllegalArgumentException("attention tile size must be positive, got " + tileSize);
        }
        int b = batch.batchSize();
        int t = batch.seqLen();
        int tiles = (t + tileSize - 1) / tileSize;
        boolean shared = everyRowOneExample(batch.exampleIds(), b, t);
        int plans = shared ? 1 : b;
        Pair[][][] byQuery = new Pair[plans][][];
        Pair[][][] byKey = new Pair[plans][][];
        Map<MaskKey, Mask> masks = new HashMap<>();
        for (int plan = 0; plan < plans; plan++) {
            int[] ex = new int[t];
            System.arraycopy(batch.exampleIds(), plan * t, ex, 0, t);
            List<List<Pair>> perQuery = emptyLists(tiles);
            List<List<Pair>> perKey = emptyLists(tiles);
            new RowPlanner(ex, tileSize, dataType, masks).plan(perQuery, perKey);
            byQuery[plan] = toArrays(perQuery);
            byKey[plan] = toArrays(perKey);
        }
        return new AttentionTiling(tileSize, t, shared, byQuery, byKey);
    }

    int tileCount() {
        return byQueryTile[0].length;
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
        return byQueryTile.length;
    }

    Pair[] pairsOfQueryTile(int plan, int queryTile) {
        return byQueryTile[plan][queryTile];
    }

    Pair[] pairsOfKeyTile(int plan, int keyTile) {
        return byKeyTile[plan][keyTile];
    }

    /** Pairs computed for one plan, out of tileCount^2: the attention's cost in tile products. */
    int pairCount(int plan) {
        int n = 0;
        for (Pair[] pairs : byQueryTile[plan]) {
            n += pairs.length;
        }
        return n;
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

    private static List<List<Pair>> emptyLists(int n) {
        List<List<Pair>> lists = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            lists.add(new ArrayList<>());
        }
        return lists;
    }

    private static Pair[][] toArrays(List<List<Pair>> lists) {
        Pair[][] out = new Pair[lists.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = lists.get(i).toArray(new Pair[0]);
        }
        return out;
    }

    /** Classifies the pairs of one row's example ids. */
    private static final class RowPlanner {
        private final int[] ex;
        private final int tileSize;
        private final DataType dataType;
        private final Map<MaskKey, Mask> masks;
        /** runStart[t]: the first position of the run of equal example ids that ends at t. */
        private final int[] runStart;

        RowPlanner(int[] ex, int tileSize, DataType dataType, Map<MaskKey, Mask> masks) {
            this.ex = ex;
            this.tileSize = tileSize;
            this.dataType = dataType;
            this.masks = masks;
            this.runStart = new int[ex.length];
            for (int t = 1; t < ex.length; t++) {
                runStart[t] = ex[t] == ex[t - 1] ? runStart[t - 1] : t;
            }
        }

        void plan(List<List<Pair>> perQuery, List<List<Pair>> perKey) {
            int tiles = perQuery.size();
            for (int i = 0; i < tiles; i++) {
                // key tiles after the query tile hold only later positions: never visible
                for (int j = 0; j <= i; j++) {
                    Pair pair = classify(i, j);
                    if (pair != null) {
                        perQuery.get(i).add(pair);
                        perKey.get(j).add(pair);
                    }
                }
            }
        }

        /** The pair (i, j), or null when no query of tile i sees a key of tile j. */
        private Pair classify(int i, int j) {
            int q0 = i * tileSize;
            int q1 = Math.min(ex.length, q0 + tileSize);
            int k0 = j * tileSize;
            int k1 = Math.min(ex.length, k0 + tileSize);
            // one example from k0 to q1 - 1 and every key at or before every query: all visible, no scan
            if (runStart[q1 - 1] <= k0 && k1 - 1 <= q0) {
                return new Pair(i, j, null, null);
            }
            int queries = q1 - q0;
            int keys = k1 - k0;
            BitSet visible = new BitSet(queries * keys);
            for (int t = q0; t < q1; t++) {
                for (int s = k0; s < Math.min(k1, t + 1); s++) {
                    if (ex[s] == ex[t]) {
                        visible.set((t - q0) * keys + (s - k0));
                    }
                }
            }
            int count = visible.cardinality();
            if (count == 0) {
                return null;
            }
            if (count == queries * keys) {
                return new Pair(i, j, null, null);
            }
            Mask mask = masks.computeIfAbsent(new MaskKey(queries, keys, visible), key -> additiveMask(visible, queries, keys));
            return new Pair(i, j, mask.array(), mask.values());
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
