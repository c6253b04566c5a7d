package org.twllm.core.engine.cuda;

/**
 * Which attention tiles of a batch have any visible (query, key) pair, so fully masked tiles are never
 * computed. Query t sees key s when s <= t and both have the same example id. For key tile
 * {@code [k0, k1)} the queries that see one of its keys lie in {@code [k0, qEnd)}, qEnd being one past the
 * last position whose example id occurs in the tile (at or after k0): causal attention computes about
 * half of the T x T tiles, and a packed row only the tiles inside its examples' diagonal blocks.
 */
public final class AttentionPlan {
    private final int seqLen;
    private final int keyTile;
    private final int tilesPerRow;
    private final int[] queryEnd;

    /** @param exampleIds [batch * seqLen], row-major */
    public AttentionPlan(int[] exampleIds, int batch, int seqLen, int keyTile) {
        if (keyTile <= 0 || seqLen <= 0 || exampleIds.length != batch * seqLen) {
            throw new IllegalArgumentException("bad attention plan: " + batch + " x " + seqLen + " with key tile " + keyTile);
        }
        this.seqLen = seqLen;
        this.keyTile = keyTile;
        this.tilesPerRow = (seqLen + keyTile - 1) / keyTile;
        this.queryEnd = new int[batch * tilesPerRow];
        for (int b = 0; b < batch; b++) {
            plan(exampleIds, b * seqLen, b * tilesPerRow);
        }
    }

    private void plan(int[] ex, int offset, int out) {
        // last[t] = the last position at or after t with ex[t]'s id (the end of t's example when ids are runs)
        int[] last = new int[seqLen];
        java.util.Map<Integer, Integer> lastSeen = new java.util.HashMap<>();
        for (int t = seqLen - 1; t >= 0; t--) {
            int id = ex[offset + t];
            Integer seen = lastSeen.putIfAbsent(id, t);
            last[t] = seen == null ? t : seen;
        }
        for (int j = 0; j < tilesPerRow; j++) {
            int k0 = j * keyTile;
            int k1 = Math.min(seqLen, k0 + keyTile);
            int end = k0;
            for (int s = k0; s < k1; s++) {
                end = Math.max(end, last[s] + 1);
            }
            queryEnd[out + j] = end;
        }
    }

    public int keyTile() {
        return keyTile;
    }

    public int tilesPerRow() {
        return tilesPerRow;
    }

    /** First key of tile j. */
    public int keyStart(int j) {
        return j * keyTile;
    }

    /** Keys in tile j. */
    public int keyCount(int j) {
        return Math.min(seqLen, (j + 1) * keyTile) - j * keyTile;
    }

    /** First query row that may see tile j: its first key (causal). */
    public int queryStart(int j) {
        return keyStart(j);
    }

    /** One past the last query row of batch row b that sees a key of tile j. */
    public int queryEnd(int b, int j) {
        return queryEnd[b * tilesPerRow + j];
    }

    /** (query, key) pairs the planned tiles cover in batch row b: what the tiled products cost. */
    public long coveredPairs(int b) {
        long pairs = 0;
        for (int j = 0; j < tilesPerRow; j++) {
            pairs += (long) (queryEnd(b, j) - queryStart(j)) * keyCount(j);
        }
        return pairs;
    }
}
