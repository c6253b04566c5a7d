// twllm kernel prelude: types and helpers every kernel file uses. The kernel library compiles this file
// followed by every .cu file as ONE program, with NVRTC on the GPU and with g++ under the host emulation
// header in the tests, so nothing here may include a toolkit header.
//
// Storage dtypes: fp32 ("float") and bf16 (struct bf16, the upper 16 bits of an fp32). Every kernel
// loads with to_float(), accumulates in fp32 (or fp64 where it says so) and stores with store().

struct bf16 {
    unsigned short bits;
};

__device__ __forceinline__ float to_float(float x) {
    return x;
}

__device__ __forceinline__ float to_float(bf16 x) {
    return __uint_as_float(((unsigned int) x.bits) << 16);
}

// fp32 -> bf16, round to nearest even; NaN stays a quiet NaN (the same bits as DType.floatToBf16).
__device__ __forceinline__ bf16 bf16_round(float f) {
    unsigned int u = __float_as_uint(f);
    bf16 r;
    if ((u & 0x7fffffffu) > 0x7f800000u) {
        r.bits = (unsigned short) ((u >> 16) | 0x40u);
    } else {
        r.bits = (unsigned short) ((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
    }
    return r;
}

__device__ __forceinline__ void store(float* p, float v) {
    *p = v;
}

__device__ __forceinline__ void store(bf16* p, float v) {
    *p = bf16_round(v);
}

#define TWLLM_NEG_INF (-__int_as_float(0x7f800000))
// Written by the cross-entropy kernel for a position without a target (TokenBatch.IGNORE).
#define TWLLM_IGNORE (-100)

__device__ __forceinline__ float warp_sum(float v) {
    for (int offset = 16; offset > 0; offset >>= 1) {
        v += __shfl_xor_sync(0xffffffffu, v, offset);
    }
    return v;
}

__device__ __forceinline__ double warp_sum(double v) {
    for (int offset = 16; offset > 0; offset >>= 1) {
        v += __shfl_xor_sync(0xffffffffu, v, offset);
    }
    return v;
}

__device__ __forceinline__ float warp_max(float v) {
    for (int offset = 16; offset > 0; offset >>= 1) {
        v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, offset));
    }
    return v;
}

// Block-wide reductions for blockDim.x a multiple of 32 (at most 1024); every thread gets the result.
// The leading barrier lets one kernel call them several times with the same shared scratch.
template <typename V, bool MAX>
__device__ V block_reduce(V v) {
    __shared__ V partial[32];
    int lane = threadIdx.x & 31;
    int warp = threadIdx.x >> 5;
    v = MAX ? (V) warp_max((float) v) : warp_sum(v);
    __syncthreads();
    if (lane == 0) {
        partial[warp] = v;
    }
    __syncthreads();
    int warps = blockDim.x >> 5;
    V total = partial[0];
    for (int w = 1; w < warps; w++) {
        total = MAX ? (V) fmaxf((float) total, (float) partial[w]) : total + partial[w];
    }
    return total;
}

__device__ __forceinline__ float block_sum(float v) {
    return block_reduce<float, false>(v);
}

__device__ __forceinline__ double block_sum_double(double v) {
    return block_reduce<double, false>(v);
}

__device__ __forceinline__ float block_max(float v) {
    return block_reduce<float, true>(v);
}

// Each templated kernel body impl<T> gets two entry points, name_f32 and name_bf16, through a small
// per-kernel macro taking (suffix, T): extern "C" names, so the launcher finds them unmangled.
