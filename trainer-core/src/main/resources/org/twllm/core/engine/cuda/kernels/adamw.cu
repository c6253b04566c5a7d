// AdamW over this rank's fp32 partition, the formula of org.twllm.core.train.AdamW operation for operation
// (fp64 arithmetic on fp32 storage; the _rn intrinsics keep the compiler from fusing multiply-adds, so the
// result is the CPU's bit for bit). The host launches it once per segment of equal weight decay, with
//   decay = 1 - lr * weight_decay (or 1), step_size = lr / (1 - beta1^t), bc2_sqrt = sqrt(1 - beta2^t),
//   one_minus_beta1 = 1 - beta1, one_minus_beta2 = 1 - beta2 (computed in double on the host).
// compute (may be null) receives the updated parameters in the storage dtype: the bf16 compute copy.

template <typename T>
__device__ void adamw_impl(float* master, const float* grad, float* exp_avg, float* exp_avg_sq, T* compute,
                           long long n, double grad_scale, double decay, double beta1, double one_minus_beta1,
                           double beta2, double one_minus_beta2, double step_size, double bc2_sqrt, double eps) {
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < n;
         i += (long long) gridDim.x * blockDim.x) {
        double g = __dmul_rn((double) grad[i], grad_scale);
        float m = (float) __dadd_rn(__dmul_rn(beta1, (double) exp_avg[i]), __dmul_rn(one_minus_beta1, g));
        float v = (float) __dadd_rn(__dmul_rn(beta2, (double) exp_avg_sq[i]),
                                    __dmul_rn(__dmul_rn(one_minus_beta2, g), g));
        exp_avg[i] = m;
        exp_avg_sq[i] = v;
        double denom = __dadd_rn(__ddiv_rn(__dsqrt_rn((double) v), bc2_sqrt), eps);
        float p = (float) __dsub_rn(__dmul_rn((double) master[i], decay), __ddiv_rn(__dmul_rn(step_size, (double) m), denom));
        master[i] = p;
        if (compute != 0) {
            store(compute + i, p);
        }
    }
}

#define TWLLM_ADAMW(suffix, T)                                                                                  \
    extern "C" __global__ void adamw_##suffix(float* master, const float* grad, float* exp_avg, float* exp_avg_sq, \
                                              T* compute, long long n, double grad_scale, double decay,         \
                                              double beta1, double one_minus_beta1, double beta2,              \
                                              double one_minus_beta2, double step_size, double bc2_sqrt,       \
                                              double eps) {                                                     \
        adamw_impl<T>(master, grad, exp_avg, exp_avg_sq, compute, n, grad_scale, decay, beta1, one_minus_beta1,  \
                      beta2, one_minus_beta2, step_size, bc2_sqrt, eps);                                        \
    }
TWLLM_ADAMW(f32, float)
TWLLM_ADAMW(bf16, bf16)
