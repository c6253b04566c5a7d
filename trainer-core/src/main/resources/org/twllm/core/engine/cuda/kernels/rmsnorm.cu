// RMSNorm over the last axis: y = x * rstd * w, rstd = 1 / sqrt(mean(x^2) + eps). The input is the fp32
// residual stream, the output (a GEMM input) is in the storage dtype; statistics accumulate in fp32.

// One block per row (grid-strided); saves rstd[r] for backward.
template <typename T>
__device__ void rmsnorm_forward_impl(const float* x, const T* w, T* y, float* rstd, int rows, int hidden, float eps) {
    for (int r = blockIdx.x; r < rows; r += gridDim.x) {
        const float* xr = x + (long long) r * hidden;
        float squares = 0.0f;
        for (int c = threadIdx.x; c < hidden; c += blockDim.x) {
            squares += xr[c] * xr[c];
        }
        float rs = 1.0f / sqrtf(block_sum(squares) / hidden + eps);
        if (threadIdx.x == 0) {
            rstd[r] = rs;
        }
        T* yr = y + (long long) r * hidden;
        for (int c = threadIdx.x; c < hidden; c += blockDim.x) {
            store(yr + c, xr[c] * rs * to_float(w[c]));
        }
    }
}

#define TWLLM_RMSNORM_FORWARD(suffix, T)                                                                  \
    extern "C" __global__ void rmsnorm_forward_##suffix(const float* x, const T* w, T* y, float* rstd, int rows, \
                                                        int hidden, float eps) {                          \
        rmsnorm_forward_impl<T>(x, w, y, rstd, rows, hidden, eps);                                        \
    }
TWLLM_RMSNORM_FORWARD(f32, float)
TWLLM_RMSNORM_FORWARD(bf16, bf16)

// dx[r, :] += rstd * (g - xhat * mean(g * xhat)) with g = dy * w and xhat = x * rstd; dy is fp32 (the sum of
// the GEMMs that read the norm's output). One block per row.
template <typename T>
__device__ void rmsnorm_backward_impl(const float* dy, const float* x, const T* w, const float* rstd, float* dx,
                                      int rows, int hidden) {
    for (int r = blockIdx.x; r < rows; r += gridDim.x) {
        const float* dyr = dy + (long long) r * hidden;
        const float* xr = x + (long long) r * hidden;
        float rs = rstd[r];
        float dot = 0.0f;
        for (int c = threadIdx.x; c < hidden; c += blockDim.x) {
            dot += dyr[c] * to_float(w[c]) * xr[c] * rs;
        }
        float projection = block_sum(dot) / hidden;
        float* dxr = dx + (long long) r * hidden;
        for (int c = threadIdx.x; c < hidden; c += blockDim.x) {
            float xhat = xr[c] * rs;
            dxr[c] += rs * (dyr[c] * to_float(w[c]) - xhat * projection);
        }
    }
}

#define TWLLM_RMSNORM_BACKWARD(suffix, T)                                                                       \
    extern "C" __global__ void rmsnorm_backward_##suffix(const float* dy, const float* x, const T* w,           \
                                                         const float* rstd, float* dx, int rows, int hidden) { \
        rmsnorm_backward_impl<T>(dy, x, w, rstd, dx, rows, hidden);                                             \
    }
TWLLM_RMSNORM_BACKWARD(f32, float)
TWLLM_RMSNORM_BACKWARD(bf16, bf16)

// dw[c] += sum_r dy[r, c] * x[r, c] * rstd[r]. Thread per column (x of the grid), rows split into gridDim.y
// chunks whose partial sums are added atomically: coalesced reads, few atomics.
extern "C" __global__ void rmsnorm_weight_grad(const float* dy, const float* x, const float* rstd, float* dw,
                                               int rows, int hidden) {
    int c = blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= hidden) {
        return;
    }
    int chunk = (rows + gridDim.y - 1) / gridDim.y;
    int begin = blockIdx.y * chunk;
    int end = min(rows, begin + chunk);
    float sum = 0.0f;
    for (int r = begin; r < end; r++) {
        long long i = (long long) r * hidden + c;
        sum += dy[i] * x[i] * rstd[r];
    }
    if (begin < end) {
        atomicAdd(dw + c, sum);
    }
}
