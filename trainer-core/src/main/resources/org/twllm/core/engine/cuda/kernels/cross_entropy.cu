// The loss part of the fused LM head: for a chunk of rows whose fp32 logits a cuBLAS GEMM just wrote,
// log p(target) per row and, when dlogits is not null, the gradient (softmax - onehot(target)) * grad_scale
// in the storage dtype (0 for rows without a target), which the next GEMMs turn into the head's weight
// gradient and the hidden states' gradient. One block per row; only one chunk of [rows, vocab] exists.
template <typename T>
__device__ void cross_entropy_impl(const float* logits, T* dlogits, const int* targets, float* log_probs, int rows,
                                   int vocab, float grad_scale) {
    for (int r = blockIdx.x; r < rows; r += gridDim.x) {
        const float* x = logits + (long long) r * vocab;
        float local_max = TWLLM_NEG_INF;
        for (int c = threadIdx.x; c < vocab; c += blockDim.x) {
            local_max = fmaxf(local_max, x[c]);
        }
        float row_max = block_max(local_max);
        float local_sum = 0.0f;
        for (int c = threadIdx.x; c < vocab; c += blockDim.x) {
            local_sum += expf(x[c] - row_max);
        }
        float sum = block_sum(local_sum);
        int target = targets[r];
        if (threadIdx.x == 0) {
            log_probs[r] = target == TWLLM_IGNORE ? __int_as_float(0x7fc00000) : x[target] - row_max - logf(sum);
        }
        if (dlogits != 0) {
            T* d = dlogits + (long long) r * vocab;
            for (int c = threadIdx.x; c < vocab; c += blockDim.x) {
                float g = 0.0f;
                if (target != TWLLM_IGNORE) {
                    float p = expf(x[c] - row_max) / sum;
                    g = (c == target ? p - 1.0f : p) * grad_scale;
                }
                store(d + c, g);
            }
        }
    }
}

#define TWLLM_CROSS_ENTROPY(suffix, T)                                                                        \
    extern "C" __global__ void cross_entropy_##suffix(const float* logits, T* dlogits, const int* targets,    \
                                                      float* log_probs, int rows, int vocab, float grad_scale) { \
        cross_entropy_impl<T>(logits, dlogits, targets, log_probs, rows, vocab, grad_scale);                  \
    }
TWLLM_CROSS_ENTROPY(f32, float)
TWLLM_CROSS_ENTROPY(bf16, bf16)
