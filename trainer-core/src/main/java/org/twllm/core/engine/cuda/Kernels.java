package org.twllm.core.engine.cuda;

/**
 * Typed launches of the engine's kernels for one storage type: each method fills the arguments in the
 * kernel's parameter order and picks its grid. Addresses are device addresses; "T" below is the storage
 * type, "fp32" always fp32. See the .cu files for what each kernel computes.
 */
public final class Kernels {
    private final Gpu gpu;
    private final StorageType type;
    private final int threads;
    private final int maxBlocks;
    private final KernelArgs args = new KernelArgs();

    public Kernels(Gpu gpu, StorageType type) {
        this.gpu = gpu;
        this.type = type;
        this.threads = gpu.threadsPerBlock();
        this.maxBlocks = gpu.maxBlocks();
    }

    public StorageType type() {
        return type;
    }

    public Gpu gpu() {
        return gpu;
    }

    /** out fp32 [rows, hidden] = table T [vocab, hidden] rows ids[rows]. */
    public void embeddingForward(long ids, long table, long out, int rows, int hidden) {
        args.clear().ptr(ids).ptr(table).ptr(out).i32(rows).i32(hidden);
        run(Kernel.EMBEDDING_FORWARD, LaunchGeometry.rowBlocks(rows, maxBlocks), 1);
    }

    /** dtable fp32 rows ids[r] += dout fp32 [rows, hidden] row r. */
    public void embeddingBackward(long ids, long dout, long dtable, int rows, int hidden) {
        args.clear().ptr(ids).ptr(dout).ptr(dtable).i32(rows).i32(hidden);
        run(Kernel.EMBEDDING_BACKWARD, LaunchGeometry.rowBlocks(rows, maxBlocks), 1);
    }

    /** y T = rmsnorm(x fp32) * w T; rstd fp32 [rows] saved. */
    public void rmsnormForward(long x, long w, long y, long rstd, int rows, int hidden, float eps) {
        args.clear().ptr(x).ptr(w).ptr(y).ptr(rstd).i32(rows).i32(hidden).f32(eps);
        run(Kernel.RMSNORM_FORWARD, LaunchGeometry.rowBlocks(rows, maxBlocks), 1);
    }

    /** dx fp32 += the input gradient for dy fp32; dw fp32 += the weight gradient. */
    public void rmsnormBackward(long dy, long x, long w, long rstd, long dx, long dw, int rows, int hidden) {
        args.clear().ptr(dy).ptr(x).ptr(w).ptr(rstd).ptr(dx).i32(rows).i32(hidden);
        run(Kernel.RMSNORM_BACKWARD, LaunchGeometry.rowBlocks(rows, maxBlocks), 1);
        args.clear().ptr(dy).ptr(x).ptr(rstd).ptr(dw).i32(rows).i32(hidden);
        run(Kernel.RMSNORM_WEIGHT_GRAD, LaunchGeometry.blocks(hidden, threads, Integer.MAX_VALUE),
                LaunchGeometry.weightGradChunks(rows, maxBlocks));
    }

    /** dst T = rotate(src T), token-major [tokens, heads * headDim]; dst may be src. */
    public void rotaryForward(long src, long dst, long positions, long cos, long sin, int tokens, int heads, int headDim) {
        args.clear().ptr(src).ptr(dst).ptr(positions).ptr(cos).ptr(sin).i32(tokens).i32(heads).i32(headDim);
        run(Kernel.ROTARY_FORWARD, LaunchGeometry.blocks((long) tokens * heads * headDim / 2, threads, maxBlocks), 1);
    }

    /** dst T = the inverse rotation of the fp32 gradient src. */
    public void rotaryBackward(long src, long dst, long positions, long cos, long sin, int tokens, int heads, int headDim) {
        args.clear().ptr(src).ptr(dst).ptr(positions).ptr(cos).ptr(sin).i32(tokens).i32(heads).i32(headDim);
        run(Kernel.ROTARY_BACKWARD, LaunchGeometry.blocks((long) tokens * heads * headDim / 2, threads, maxBlocks), 1);
    }

    /** out T = silu(gate) * up. */
    public void swigluForward(long gate, long up, long out, long n) {
        args.clear().ptr(gate).ptr(up).ptr(out).i64(n);
        run(Kernel.SWIGLU_FORWARD, LaunchGeometry.blocks(n, threads, maxBlocks), 1);
    }

    /** dgate, dup T from dout T. */
    public void swigluBackward(long dout, long gate, long up, long dgate, long dup, long n) {
        args.clear().ptr(dout).ptr(gate).ptr(up).ptr(dgate).ptr(dup).i64(n);
        run(Kernel.SWIGLU_BACKWARD, LaunchGeometry.blocks(n, threads, maxBlocks), 1);
    }

    /** out fp32 = a fp32 + b T; out may be a. */
    public void residualAdd(long a, long b, long out, long n) {
        args.clear().ptr(a).ptr(b).ptr(out).i64(n);
        run(Kernel.RESIDUAL_ADD, LaunchGeometry.blocks(n, threads, maxBlocks), 1);
    }

    /** dst T = src fp32 (a device copy when T is fp32). */
    public void toStorage(long src, long dst, long n) {
        if (type == StorageType.F32) {
            if (src != dst) {
                gpu.copy(dst, src, 4 * n);
            }
            return;
        }
        args.clear().ptr(src).ptr(dst).i64(n);
        run(Kernel.CONVERT_F32_TO_BF16, LaunchGeometry.blocks(n, threads, maxBlocks), 1);
    }

    /** dst fp32 = src bf16. */
    public void bf16ToF32(long src, long dst, long n) {
        args.clear().ptr(src).ptr(dst).i64(n);
        run(Kernel.CONVERT_BF16_TO_F32, LaunchGeometry.blocks(n, threads, maxBlocks), 1);
    }

    /** dst fp32 [n] = value. */
    public void fill(long dst, float value, long n) {
        args.clear().ptr(dst).f32(value).i64(n);
        run(Kernel.FILL_F32, LaunchGeometry.blocks(n, threads, maxBlocks), 1);
    }

    /** Partial blocks {@link #sumOfSquares} may use: the size of its scratch, in doubles. */
    public int sumOfSquaresScratch() {
        return maxBlocks;
    }

    /** out[0] (fp64) = sum of x[i]^2 over fp32 x[0, n); scratch holds {@link #sumOfSquaresScratch()} doubles. */
    public void sumOfSquares(long x, long n, long scratch, long out) {
        int blocks = LaunchGeometry.blocks(n, threads, maxBlocks);
        args.clear().ptr(x).i64(n).ptr(scratch);
        run(Kernel.SUM_SQUARES_PARTIAL, blocks, 1);
        args.clear().ptr(scratch).i32(blocks).ptr(out);
        run(Kernel.SUM_PARTIALS, 1, 1);
    }

    /** One key tile of the attention forward (see attention.cu); grid: a block per (query row, kv head). */
    public void attentionForwardTile(long scores, long probs, long rowMax, long rowSum, long outAcc, AttentionTile tile,
            int headDim, float scale) {
        args.clear().ptr(scores).ptr(probs).ptr(rowMax).ptr(rowSum).ptr(outAcc);
        tile.addTo(args);
        args.i32(headDim).f32(scale);
        run(Kernel.ATTN_FORWARD_TILE, tile.rows(), tile.kvHeads());
    }

    /** out T = acc / sum, lse = max + log(sum). */
    public void attentionForwardFinalize(long outAcc, long rowMax, long rowSum, long out, long lse, int batch, int seqLen,
            int heads, int headDim) {
        args.clear().ptr(outAcc).ptr(rowMax).ptr(rowSum).ptr(out).ptr(lse).i32(batch).i32(seqLen).i32(heads).i32(headDim);
        run(Kernel.ATTN_FORWARD_FINALIZE, LaunchGeometry.blocks((long) batch * seqLen * heads * headDim, threads, maxBlocks), 1);
    }

    /** delta fp32 [batch, heads, seqLen] = rowsum(dout * out). */
    public void attentionBackwardDelta(long dout, long out, long delta, int batch, int seqLen, int heads, int headDim) {
        args.clear().ptr(dout).ptr(out).ptr(delta).i32(batch).i32(seqLen).i32(heads).i32(headDim);
        run(Kernel.ATTN_BACKWARD_DELTA, LaunchGeometry.blocks((long) batch * seqLen * heads, threads, maxBlocks), 1);
    }

    /** probs T = exp(scores * scale - lse), masked. */
    public void attentionBackwardProbs(long scores, long probs, long lse, AttentionTile tile, float scale) {
        args.clear().ptr(scores).ptr(probs).ptr(lse);
        tile.addTo(args);
        args.f32(scale);
        run(Kernel.ATTN_BACKWARD_PROBS, LaunchGeometry.blocks(tile.elements(), threads, maxBlocks), 1);
    }

    /** dscores T = P * (dprobs - delta) * scale. */
    public void attentionBackwardDscores(long scores, long dprobs, long lse, long delta, long dscores, AttentionTile tile,
            float scale) {
        args.clear().ptr(scores).ptr(dprobs).ptr(lse).ptr(delta).ptr(dscores);
        tile.addTo(args);
        args.f32(scale);
        run(Kernel.ATTN_BACKWARD_DSCORES, LaunchGeometry.blocks(tile.elements(), threads, maxBlocks), 1);
    }

    /** logProbs fp32 [rows] and, unless dlogits is 0, dlogits T = (softmax - onehot) * gradScale. */
    public void crossEntropy(long logits, long dlogits, long targets, long logProbs, int rows, int vocab, float gradScale) {
        args.clear().ptr(logits).ptr(dlogits).ptr(targets).ptr(logProbs).i32(rows).i32(vocab).f32(gradScale);
        run(Kernel.CROSS_ENTROPY, LaunchGeometry.rowBlocks(rows, maxBlocks), 1);
    }

    /** One AdamW update of n fp32 elements with one decay factor (see adamw.cu); compute (T) may be 0. */
    public void adamw(long master, long grad, long expAvg, long expAvgSq, long compute, long n, AdamWStep step,
            double decay) {
        args.clear().ptr(master).ptr(grad).ptr(expAvg).ptr(expAvgSq).ptr(compute).i64(n)
                .f64(step.gradScale()).f64(decay).f64(step.beta1()).f64(1 - step.beta1()).f64(step.beta2())
                .f64(1 - step.beta2()).f64(step.stepSize()).f64(step.bc2Sqrt()).f64(step.epsilon());
        run(Kernel.ADAMW, LaunchGeometry.blocks(n, threads, maxBlocks), 1);
    }

    private void run(Kernel kernel, int gridX, int gridY) {
        args.requireMatches(kernel);
        gpu.launch(kernel.entry(type), gridX, gridY, threads, args);
    }
}
