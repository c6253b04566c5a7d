// Rotary position embeddings, HuggingFace's rotate-half convention: in each head of D values, pair
// i < D/2 is (x[i], x[i + D/2]), rotated by the angle pos * theta^(-2i/D). The cos/sin tables are
// [max_positions, D/2] fp32, computed on the host in double. Tensors are token-major [tokens, heads * D].

// dst = rotate(src); dst may be src. Thread per (token, head, pair), grid-strided.
template <typename T>
__device__ void rotary_forward_impl(const T* src, T* dst, const int* positions, const float* cos_table,
                                    const float* sin_table, int tokens, int heads, int head_dim) {
    int half = head_dim / 2;
    long long total = (long long) tokens * heads * half;
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < total;
         i += (long long) gridDim.x * blockDim.x) {
        int pair = (int) (i % half);
        long long row = i / half;  // token * heads + head
        int token = (int) (row / heads);
        long long base = row * head_dim;
        long long angle = (long long) positions[token] * half + pair;
        float c = cos_table[angle];
        float s = sin_table[angle];
        float x1 = to_float(src[base + pair]);
        float x2 = to_float(src[base + pair + half]);
        store(dst + base + pair, x1 * c - x2 * s);
        store(dst + base + pair + half, x2 * c + x1 * s);
    }
}

#define TWLLM_ROTARY_FORWARD(suffix, T)                                                                     \
    extern "C" __global__ void rotary_forward_##suffix(const T* src, T* dst, const int* positions,          \
                                                       const float* cos_table, const float* sin_table,      \
                                                       int tokens, int heads, int head_dim) {               \
        rotary_forward_impl<T>(src, dst, positions, cos_table, sin_table, tokens, heads, head_dim);         \
    }
TWLLM_ROTARY_FORWARD(f32, float)
TWLLM_ROTARY_FORWARD(bf16, bf16)

// The transpose of the rotation (angle -pos): the backward of rotary_forward, from the fp32 gradient
// accumulator src into the storage dtype dst.
template <typename T>
__device__ void rotary_backward_impl(const float* src, T* dst, const int* positions, const float* cos_table,
                                     const float* sin_table, int tokens, int heads, int head_dim) {
    int half = head_dim / 2;
    long long total = (long long) tokens * heads * half;
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < total;
         i += (long long) gridDim.x * blockDim.x) {
        int pair = (int) (i % half);
        long long row = i / half;
        int token = (int) (row / heads);
        long long base = row * head_dim;
        long long angle = (long long) positions[token] * half + pair;
        float c = cos_table[angle];
        float s = sin_table[angle];
        float d1 = src[base + pair];
        float d2 = src[base + pair + half];
        store(dst + base + pair, d1 * c + d2 * s);
        store(dst + base + pair + half, d2 * c - d1 * s);
    }
}

#define TWLLM_ROTARY_BACKWARD(suffix, T)                                                                    \
    extern "C" __global__ void rotary_backward_##suffix(const float* src, T* dst, const int* positions,     \
                                                        const float* cos_table, const float* sin_table,     \
                                                        int tokens, int heads, int head_dim) {              \
        rotary_backward_impl<T>(src, dst, positions, cos_table, sin_table, tokens, heads, head_dim);        \
    }
TWLLM_ROTARY_BACKWARD(f32, float)
TWLLM_ROTARY_BACKWARD(bf16, bf16)
