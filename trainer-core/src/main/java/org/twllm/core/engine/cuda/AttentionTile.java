package org.twllm.core.engine.cuda;

/**
 * Which block of the attention matrix a tile kernel works on: query rows {@code [q0, q0 + rows)} x key
 * columns {@code [k0, k0 + cols)} of batch row {@code batchRow}, for query heads {@code kv * G + group}.
 * Mutable and reused for every tile (the hot loop allocates nothing); the fields follow attention.cu's
 * TWLLM_TILE_PARAMS.
 */
public final class AttentionTile {
    long exampleIds;
    int batchRow;
    int seqLen;
    int heads;
    int kvHeads;
    int group;
    int q0;
    int rows;
    int k0;
    int cols;

    /** The geometry shared by every tile of one batch: device example ids [batch * seqLen], heads. */
    public AttentionTile batch(long exampleIds, int seqLen, int heads, int kvHeads) {
        this.exampleIds = exampleIds;
        this.seqLen = seqLen;
        this.heads = heads;
        this.kvHeads = kvHeads;
        return this;
    }

    public AttentionTile at(int batchRow, int group, int q0, int rows, int k0, int cols) {
        this.batchRow = batchRow;
        this.group = group;
        this.q0 = q0;
        this.rows = rows;
        this.k0 = k0;
        this.cols = cols;
        return this;
    }

    void addTo(KernelArgs args) {
        args.ptr(exampleIds).i32(batchRow).i32(seqLen).i32(heads).i32(kvHeads).i32(group).i32(q0).i32(rows).i32(k0).i32(cols);
    }

    public int rows() {
        return rows;
    }

    public int kvHeads() {
        return kvHeads;
    }

    /** Elements of one score tile over all kv heads. */
    public long elements() {
        return (long) kvHeads * rows * cols;
    }
}
