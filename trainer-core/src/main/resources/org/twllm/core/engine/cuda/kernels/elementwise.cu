// Element-wise kernels over flat ranges of n elements (64-bit counts: a 13B model has more than 2^31
// parameters), grid-strided.

#define TWLLM_FOR_EACH(i, n)                                                                  \
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < (n); \
         i += (long long) gridDim.x * blockDim.x)

// SwiGLU: out = silu(gate) * up, silu(a) = a * sigmoid(a).
template <typename T>
__device__ void swiglu_forward_impl(const T* gate, const T* up, T* out, long long n) {
    TWLLM_FOR_EACH(i, n) {
        float a = to_float(gate[i]);
        float sig = 1.0f / (1.0f + expf(-a));
        store(out + i, a * sig * to_float(up[i]));
    }
}

#define TWLLM_SWIGLU_FORWARD(suffix, T)                                                                  \
    extern "C" __global__ void swiglu_forward_##suffix(const T* gate, const T* up, T* out, long long n) { \
        swiglu_forward_impl<T>(gate, up, out, n);                                                        \
    }
TWLLM_SWIGLU_FORWARD(f32, float)
TWLLM_SWIGLU_FORWARD(bf16, bf16)

// d up = dout * silu(a); d gate = dout * up * silu'(a), silu'(a) = sig(a) * (1 + a * (1 - sig(a))).
template <typename T>
__device__ void swiglu_backward_impl(const T* dout, const T* gate, const T* up, T* dgate, T* dup, long long n) {
    TWLLM_FOR_EACH(i, n) {
        float a = to_float(gate[i]);
        float u = to_float(up[i]);
        float d = to_float(dout[i]);
        float sig = 1.0f / (1.0f + expf(-a));
        store(dup + i, d * a * sig);
        store(dgate + i, d * u * sig * (1.0f + a * (1.0f - sig)));
    }
}

#define TWLLM_SWIGLU_BACKWARD(suffix, T)                                                                   \
    extern "C" __global__ void swiglu_backward_##suffix(const T* dout, const T* gate, const T* up, T* dgate, \
                                                        T* dup, long long n) {                             \
        swiglu_backward_impl<T>(dout, gate, up, dgate, dup, n);                                            \
    }
TWLLM_SWIGLU_BACKWARD(f32, float)
TWLLM_SWIGLU_BACKWARD(bf16, bf16)

// The residual stream (fp32) plus a layer output (storage dtype): out = a + b; out may be a.
template <typename T>
__device__ void residual_add_impl(const float* a, const T* b, float* out, long long n) {
    TWLLM_FOR_EACH(i, n) {
        out[i] = a[i] + to_float(b[i]);
    }
}

#define TWLLM_RESIDUAL_ADD(suffix, T)                                                                          \
    extern "C" __global__ void residual_add_##suffix(const float* a, const T* b, float* out, long long n) { \
        residual_add_impl<T>(a, b, out, n);                                                                  \
    }
TWLLM_RESIDUAL_ADD(f32, float)
TWLLM_RESIDUAL_ADD(bf16, bf16)

extern "C" __global__ void convert_f32_to_bf16(const float* src, bf16* dst, long long n) {
    TWLLM_FOR_EACH(i, n) {
        dst[i] = bf16_round(src[i]);
    }
}

extern "C" __global__ void convert_bf16_to_f32(const bf16* src, float* dst, long long n) {
    TWLLM_FOR_EACH(i, n) {
        dst[i] = to_float(src[i]);
    }
}

extern "C" __global__ void fill_f32(float* dst, float value, long long n) {
    TWLLM_FOR_EACH(i, n) {
        dst[i] = value;
    }
}

// Sum of squares of x[0, n) in fp64 (the gradient norm): each block writes its partial to partial[blockIdx.x];
// sum_partials then adds the gridDim.x partials in a fixed order, so the result does not depend on timing.
extern "C" __global__ void sum_squares_partial(const float* x, long long n, double* partial) {
    double sum = 0.0;
    TWLLM_FOR_EACH(i, n) {
        double v = x[i];
        sum += v * v;
    }
    sum = block_sum_double(sum);
    if (threadIdx.x == 0) {
        partial[blockIdx.x] = sum;
    }
}

// out[0] = sum of partial[0, count); one block.
extern "C" __global__ void sum_partials(const double* partial, int count, double* out) {
    double sum = 0.0;
    for (int i = threadIdx.x; i < count; i += blockDim.x) {
        sum += partial[i];
    }
    sum = block_sum_double(sum);
    if (threadIdx.x == 0) {
        out[0] = sum;
    }
}
