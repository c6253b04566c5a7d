// Host emulation of the CUDA execution model, so the engine's kernel sources compile with g++ and run on
// a CPU in the tests: the grid's blocks run one after another; the threads of a block are real threads;
// __syncthreads is a barrier of the block; __shared__ variables are function statics (one block runs at a
// time, and an end-of-block barrier keeps the next block from touching them early); warp shuffles exchange
// values through per-warp slots between two barriers of the warp; atomics are real atomics.
// Limits: blocks are 1-D with a multiple of 32 threads; a kernel that returns early must do so in all
// threads of its block or call no __syncthreads afterwards (ours do).
#pragma once

#include <atomic>
#include <barrier>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

namespace emu {

struct dim3 {
    unsigned x = 1, y = 1, z = 1;
};

struct LaunchState {
    dim3 grid;
    dim3 block;
    std::unique_ptr<std::barrier<>> block_barrier;
    std::vector<std::unique_ptr<std::barrier<>>> warp_barriers;
    std::vector<uint64_t> slots;
};

inline LaunchState* state = nullptr;
inline thread_local dim3 thread_index;
inline thread_local dim3 block_index;
inline thread_local unsigned lane_id = 0;

[[noreturn]] inline void fail(const char* message) {
    std::fprintf(stderr, "emulation: %s\n", message);
    std::exit(3);
}

template <typename Body>
void launch(dim3 grid, dim3 block, Body body) {
    unsigned threads = block.x;
    if (block.y != 1 || block.z != 1 || threads == 0 || threads % 32 != 0 || threads > 1024) {
        fail("blocks must be 1-D with a multiple of 32 threads, at most 1024");
    }
    if (grid.x == 0 || grid.y == 0 || grid.z == 0) {
        fail("empty grid");
    }
    LaunchState s;
    s.grid = grid;
    s.block = block;
    s.block_barrier = std::make_unique<std::barrier<>>(threads);
    for (unsigned w = 0; w < threads / 32; w++) {
        s.warp_barriers.push_back(std::make_unique<std::barrier<>>(32));
    }
    s.slots.assign(threads, 0);
    state = &s;
    std::vector<std::thread> pool;
    pool.reserve(threads);
    for (unsigned t = 0; t < threads; t++) {
        pool.emplace_back([&s, &body, t] {
            lane_id = t;
            thread_index = dim3{t, 0, 0};
            for (unsigned bz = 0; bz < s.grid.z; bz++) {
                for (unsigned by = 0; by < s.grid.y; by++) {
                    for (unsigned bx = 0; bx < s.grid.x; bx++) {
                        block_index = dim3{bx, by, bz};
                        body();
                        s.block_barrier->arrive_and_wait();
                    }
                }
            }
        });
    }
    for (auto& thread : pool) {
        thread.join();
    }
    state = nullptr;
}

}  // namespace emu

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __shared__ static
#define threadIdx (emu::thread_index)
#define blockIdx (emu::block_index)
#define blockDim (emu::state->block)
#define gridDim (emu::state->grid)

inline void __syncthreads() {
    emu::state->block_barrier->arrive_and_wait();
}

template <typename V>
V __shfl_xor_sync(unsigned mask, V value, int lane_mask) {
    static_assert(sizeof(V) <= sizeof(uint64_t), "shuffled values fit a slot");
    if (mask != 0xffffffffu) {
        emu::fail("only full-warp shuffles are emulated");
    }
    emu::LaunchState& s = *emu::state;
    unsigned me = emu::lane_id;
    unsigned warp = me / 32;
    std::memcpy(&s.slots[me], &value, sizeof(V));
    s.warp_barriers[warp]->arrive_and_wait();
    V out;
    std::memcpy(&out, &s.slots[warp * 32 + ((me % 32) ^ (unsigned) lane_mask)], sizeof(V));
    s.warp_barriers[warp]->arrive_and_wait();
    return out;
}

inline float atomicAdd(float* address, float value) {
    return std::atomic_ref<float>(*address).fetch_add(value);
}

inline double atomicAdd(double* address, double value) {
    return std::atomic_ref<double>(*address).fetch_add(value);
}

inline float __uint_as_float(unsigned int u) {
    float f;
    std::memcpy(&f, &u, sizeof f);
    return f;
}

inline float __int_as_float(int i) {
    float f;
    std::memcpy(&f, &i, sizeof f);
    return f;
}

inline unsigned int __float_as_uint(float f) {
    unsigned int u;
    std::memcpy(&u, &f, sizeof u);
    return u;
}

inline int min(int a, int b) {
    return a < b ? a : b;
}

// Correctly rounded double operations (the harness is compiled with -ffp-contract=off).
inline double __dmul_rn(double a, double b) { return a * b; }
inline double __dadd_rn(double a, double b) { return a + b; }
inline double __dsub_rn(double a, double b) { return a - b; }
inline double __ddiv_rn(double a, double b) { return a / b; }
inline double __dsqrt_rn(double a) { return std::sqrt(a); }
