// The softmax steps of tiled causal attention with an online softmax (FlashAttention-2, Dao 2023); the
// score and value products of each tile are cuBLAS GEMMs between these kernels.
//
// Layouts: q, k, v, the output and its fp32 accumulator are token-major [batch * seq_len, heads * D].
// Per-row statistics (running max, running sum, log-sum-exp, delta) are [batch, heads, seq_len] fp32.
// A tile is query rows [q0, q0 + rows) x key columns [k0, k0 + cols) of one batch row, for the query
// heads h = kv * G + group of every kv head: score tiles are [kv_heads][rows][cols] fp32.
// Query t sees key s when s <= t and both carry the same example id (packed SFT's block-diagonal mask).

struct TileArgs {
    const int* example_ids;
    int batch_row;
    int seq_len;
    int heads;
    int kv_heads;
    int group;
    int q0;
    int rows;
    int k0;
    int cols;
};

__device__ __forceinline__ bool attn_visible(const TileArgs& a, int t, int s) {
    const int* ex = a.example_ids + (long long) a.batch_row * a.seq_len;
    return s <= t && ex[s] == ex[t];
}

__device__ __forceinline__ long long attn_stat_index(const TileArgs& a, int head, int t) {
    return ((long long) a.batch_row * a.heads + head) * a.seq_len + t;
}

// Element i of a [kv_heads][rows][cols] tile: its query position t, key position s and the stat index of its
// query head.
struct TileElement {
    int t;
    int s;
    long long stat;
};

__device__ __forceinline__ TileElement attn_tile_element(const TileArgs& a, long long i) {
    int c = (int) (i % a.cols);
    long long kv_row = i / a.cols;
    int r = (int) (kv_row % a.rows);
    int kv = (int) (kv_row / a.rows);
    TileElement e;
    e.t = a.q0 + r;
    e.s = a.k0 + c;
    e.stat = attn_stat_index(a, kv * (a.heads / a.kv_heads) + a.group, e.t);
    return e;
}

#define TWLLM_TILE_PARAMS                                                                                   \
    const int *example_ids, int batch_row, int seq_len, int heads, int kv_heads, int group, int q0, int rows, \
        int k0, int cols
#define TWLLM_TILE_ARGS {example_ids, batch_row, seq_len, heads, kv_heads, group, q0, rows, k0, cols}

// Forward, after scores = Q K^T for the tile: one block per (query row, kv head). Updates the row's running
// max and sum, rescales its output accumulator by exp(old max - new max) (before the P V GEMM adds the
// tile), and writes P = exp(score * scale - new max) (0 where masked) for that GEMM.
template <typename T>
__device__ void attn_forward_tile_impl(const float* scores, T* probs, float* row_max, float* row_sum,
                                       float* out_acc, TileArgs a, int head_dim, float scale) {
    int r = blockIdx.x;
    int kv = blockIdx.y;
    int head = kv * (a.heads / a.kv_heads) + a.group;
    int t = a.q0 + r;
    long long tile = ((long long) kv * a.rows + r) * a.cols;
    long long si = attn_stat_index(a, head, t);
    float old_max = row_max[si];
    float local = TWLLM_NEG_INF;
    for (int c = threadIdx.x; c < a.cols; c += blockDim.x) {
        if (attn_visible(a, t, a.k0 + c)) {
            local = fmaxf(local, scores[tile + c] * scale);
        }
    }
    float tile_max = block_max(local);
    if (tile_max == TWLLM_NEG_INF) {  // the row sees no key of this tile
        for (int c = threadIdx.x; c < a.cols; c += blockDim.x) {
            store(probs + tile + c, 0.0f);
        }
        return;
    }
    float new_max = fmaxf(old_max, tile_max);
    float alpha = old_max == TWLLM_NEG_INF ? 0.0f : expf(old_max - new_max);
    float sum = 0.0f;
    for (int c = threadIdx.x; c < a.cols; c += blockDim.x) {
        float p = attn_visible(a, t, a.k0 + c) ? expf(scores[tile + c] * scale - new_max) : 0.0f;
        store(probs + tile + c, p);
        sum += p;
    }
    float total = block_sum(sum);
    if (threadIdx.x == 0) {
        row_sum[si] = row_sum[si] * alpha + total;
        row_max[si] = new_max;
    }
    float* acc = out_acc + ((long long) a.batch_row * a.seq_len + t) * a.heads * head_dim + (long long) head * head_dim;
    for (int d = threadIdx.x; d < head_dim; d += blockDim.x) {
        acc[d] *= alpha;
    }
}

#define TWLLM_ATTN_FORWARD_TILE(suffix, T)                                                                     \
    extern "C" __global__ void attn_forward_tile_##suffix(const float* scores, T* probs, float* row_max,       \
                                                          float* row_sum, float* out_acc, TWLLM_TILE_PARAMS,   \
                                                          int head_dim, float scale) {                         \
        TileArgs a = TWLLM_TILE_ARGS;                                                                          \
        attn_forward_tile_impl<T>(scores, probs, row_max, row_sum, out_acc, a, head_dim, scale);               \
    }
TWLLM_ATTN_FORWARD_TILE(f32, float)
TWLLM_ATTN_FORWARD_TILE(bf16, bf16)

// Forward, after the last tile: out = acc / sum and lse = max + log(sum). Thread per output element.
template <typename T>
__device__ void attn_forward_finalize_impl(const float* out_acc, const float* row_max, const float* row_sum, T* out,
                                           float* lse, int batch, int seq_len, int heads, int head_dim) {
    long long total = (long long) batch * seq_len * heads * head_dim;
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < total;
         i += (long long) gridDim.x * blockDim.x) {
        int d = (int) (i % head_dim);
        long long token_head = i / head_dim;
        int head = (int) (token_head % heads);
        long long token = token_head / heads;
        int b = (int) (token / seq_len);
        int t = (int) (token % seq_len);
        long long si = ((long long) b * heads + head) * seq_len + t;
        float sum = row_sum[si];
        store(out + i, sum > 0.0f ? out_acc[i] / sum : 0.0f);
        if (d == 0) {
            lse[si] = row_max[si] + logf(sum);
        }
    }
}

#define TWLLM_ATTN_FORWARD_FINALIZE(suffix, T)                                                                    \
    extern "C" __global__ void attn_forward_finalize_##suffix(const float* out_acc, const float* row_max,         \
                                                              const float* row_sum, T* out, float* lse, int batch, \
                                                              int seq_len, int heads, int head_dim) {             \
        attn_forward_finalize_impl<T>(out_acc, row_max, row_sum, out, lse, batch, seq_len, heads, head_dim);      \
    }
TWLLM_ATTN_FORWARD_FINALIZE(f32, float)
TWLLM_ATTN_FORWARD_FINALIZE(bf16, bf16)

// Backward, first: delta = rowsum(dO * O) per (batch, head, position). Thread per (token, head).
template <typename T>
__device__ void attn_backward_delta_impl(const T* dout, const T* out, float* delta, int batch, int seq_len, int heads,
                                         int head_dim) {
    long long total = (long long) batch * seq_len * heads;
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < total;
         i += (long long) gridDim.x * blockDim.x) {
        int head = (int) (i % heads);
        long long token = i / heads;
        const T* o = out + i * head_dim;
        const T* d = dout + i * head_dim;
        float sum = 0.0f;
        for (int j = 0; j < head_dim; j++) {
            sum += to_float(d[j]) * to_float(o[j]);
        }
        int b = (int) (token / seq_len);
        int t = (int) (token % seq_len);
        delta[((long long) b * heads + head) * seq_len + t] = sum;
    }
}

#define TWLLM_ATTN_BACKWARD_DELTA(suffix, T)                                                                 \
    extern "C" __global__ void attn_backward_delta_##suffix(const T* dout, const T* out, float* delta,       \
                                                            int batch, int seq_len, int heads, int head_dim) { \
        attn_backward_delta_impl<T>(dout, out, delta, batch, seq_len, heads, head_dim);                      \
    }
TWLLM_ATTN_BACKWARD_DELTA(f32, float)
TWLLM_ATTN_BACKWARD_DELTA(bf16, bf16)

// Backward, after the tile's scores are recomputed: P = exp(score * scale - lse), 0 where masked, for the
// dV += P^T dO GEMM. Thread per tile element.
template <typename T>
__device__ void attn_backward_probs_impl(const float* scores, T* probs, const float* lse, TileArgs a, float scale) {
    long long total = (long long) a.kv_heads * a.rows * a.cols;
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < total;
         i += (long long) gridDim.x * blockDim.x) {
        TileElement e = attn_tile_element(a, i);
        float p = attn_visible(a, e.t, e.s) ? expf(scores[i] * scale - lse[e.stat]) : 0.0f;
        store(probs + i, p);
    }
}

#define TWLLM_ATTN_BACKWARD_PROBS(suffix, T)                                                                      \
    extern "C" __global__ void attn_backward_probs_##suffix(const float* scores, T* probs, const float* lse,      \
                                                            TWLLM_TILE_PARAMS, float scale) {                     \
        TileArgs a = TWLLM_TILE_ARGS;                                                                             \
        attn_backward_probs_impl<T>(scores, probs, lse, a, scale);                                                \
    }
TWLLM_ATTN_BACKWARD_PROBS(f32, float)
TWLLM_ATTN_BACKWARD_PROBS(bf16, bf16)

// Backward, after dP = dO V^T: dS = P * (dP - delta) * scale, with P recomputed in fp32 from the scores,
// for the dQ += dS K and dK += dS^T Q GEMMs. Thread per tile element.
template <typename T>
__device__ void attn_backward_dscores_impl(const float* scores, const float* dprobs, const float* lse,
                                           const float* delta, T* dscores, TileArgs a, float scale) {
    long long total = (long long) a.kv_heads * a.rows * a.cols;
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < total;
         i += (long long) gridDim.x * blockDim.x) {
        TileElement e = attn_tile_element(a, i);
        float ds = 0.0f;
        if (attn_visible(a, e.t, e.s)) {
            float p = expf(scores[i] * scale - lse[e.stat]);
            ds = p * (dprobs[i] - delta[e.stat]) * scale;
        }
        store(dscores + i, ds);
    }
}

#define TWLLM_ATTN_BACKWARD_DSCORES(suffix, T)                                                                  \
    extern "C" __global__ void attn_backward_dscores_##suffix(const float* scores, const float* dprobs,         \
                                                              const float* lse, const float* delta, T* dscores, \
                                                              TWLLM_TILE_PARAMS, float scale) {                 \
        TileArgs a = TWLLM_TILE_ARGS;                                                                           \
        attn_backward_dscores_impl<T>(scores, dprobs, lse, delta, dscores, a, scale);                           \
    }
TWLLM_ATTN_BACKWARD_DSCORES(f32, float)
TWLLM_ATTN_BACKWARD_DSCORES(bf16, bf16)
