// Token embedding. The residual stream is fp32 whatever the storage dtype of the table.

// out[r, :] = table[ids[r], :] for r < rows; one block per row (grid-strided), threads over columns.
template <typename T>
__device__ void embedding_forward_impl(const int* ids, const T* table, float* out, int rows, int hidden) {
    for (int r = blockIdx.x; r < rows; r += gridDim.x) {
        const T* src = table + (long long) ids[r] * hidden;
        float* dst = out + (long long) r * hidden;
        for (int c = threadIdx.x; c < hidden; c += blockDim.x) {
            dst[c] = to_float(src[c]);
        }
    }
}

#define TWLLM_EMBEDDING_FORWARD(suffix, T)                                                                 \
    extern "C" __global__ void embedding_forward_##suffix(const int* ids, const T* table, float* out, int rows, \
                                                          int hidden) {                                    \
        embedding_forward_impl<T>(ids, table, out, rows, hidden);                                          \
    }
TWLLM_EMBEDDING_FORWARD(f32, float)
TWLLM_EMBEDDING_FORWARD(bf16, bf16)

// dtable[ids[r], :] += dout[r, :] (fp32 gradients; rows sharing a token add atomically).
extern "C" __global__ void embedding_backward(const int* ids, const float* dout, float* dtable, int rows, int hidden) {
    for (int r = blockIdx.x; r < rows; r += gridDim.x) {
        float* dst = dtable + (long long) ids[r] * hidden;
        const float* src = dout + (long long) r * hidden;
        for (int c = threadIdx.x; c < hidden; c += blockDim.x) {
            atomicAdd(dst + c, src[c]);
        }
    }
}
