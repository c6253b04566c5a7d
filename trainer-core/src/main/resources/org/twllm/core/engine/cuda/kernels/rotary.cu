// Rotary position embeddings, HuggingFace's rotate-half convention: in each head of D values, pair
// i < D/2 is (x[i], x[i + D/2]), rotated by the angle pos * theta^(-2i/D). The cos/sin tables are
// [max_positions, D/2] fp32, computed on the host in double. Tensors are token-major [tokens, heads * D].

// Where pair i of the rotation for flat index i over (token, head, pair) lies, and its angle's cos and sin.
struct RotaryPair {
    long long first;  // index of x[pair]; x[pair + D/2] is first + D/2
    float c;
    float s;
};

__device__ __forceinline__ RotaryPair rotary_pair(long long i, const int* positions, const float* cos_table,
                                                  const float* sin_table, int heads, int head_dim) {
    int half = head_dim / 2;
    int pair = (int) (i % half);
    long long row = i / half;  // token * heads + head
    int token = (int) (row / heads);
    long long angle = (long long) positions[token] * half + pair;
    RotaryPair p = {row * head_dim + pair, cos_table[angle], sin_table[angle]};
    return p;
}

// dst = rotation of src by +angle (sign 1) or -angle (sign -1, the transpose: the backward); dst may be src.
// Thread per (token, head, pair), grid-strided.
template <typename S, typename T>
__device__ void rotary_impl(const S* src, T* dst, const int* positions, const float* cos_table, const float* sin_table,
                            int tokens, int heads, int head_dim, float sign) {
    int half = head_dim / 2;
    long long total = (long long) tokens * heads * half;
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < total;
         i += (long long) gridDim.x * blockDim.x) {
        RotaryPair p = rotary_pair(i, positions, cos_table, sin_table, heads, head_dim);
        float s = sign * p.s;
        float x1 = to_float(src[p.first]);
        float x2 = to_float(src[p.first + half]);
        store(dst + p.first, x1 * p.c - x2 * s);
        store(dst + p.first + half, x2 * p.c + x1 * s);
    }
}

// Forward: rotate q or k (storage dtype) in place or into dst.
#define TWLLM_ROTARY_FORWARD(suffix, T)                                                                     \
    extern "C" __global__ void rotary_forward_##suffix(const T* src, T* dst, const int* positions,          \
                                                       const float* cos_table, const float* sin_table,      \
                                                       int tokens, int heads, int head_dim) {               \
        rotary_impl<T, T>(src, dst, positions, cos_table, sin_table, tokens, heads, head_dim, 1.0f);        \
    }
TWLLM_ROTARY_FORWARD(f32, float)
TWLLM_ROTARY_FORWARD(bf16, bf16)

// Backward: from the fp32 gradient accumulator into the storage dtype.
#define TWLLM_ROTARY_BACKWARD(suffix, T)                                                                    \
    extern "C" __global__ void rotary_backward_##suffix(const float* src, T* dst, const int* positions,     \
                                                        const float* cos_table, const float* sin_table,     \
                                                        int tokens, int heads, int head_dim) {              \
        rotary_impl<float, T>(src, dst, positions, cos_table, sin_table, tokens, heads, head_dim, -1.0f);   \
    }
TWLLM_ROTARY_BACKWARD(f32, float)
TWLLM_ROTARY_BACKWARD(bf16, bf16)
