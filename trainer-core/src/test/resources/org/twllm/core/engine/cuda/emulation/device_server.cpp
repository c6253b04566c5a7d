// An emulated GPU for the tests: the engine's kernel library compiled for the host (see cuda_emulation.h),
// driven over stdin/stdout by EmulatedGpu with the same operations the CUDA device offers (allocate, copy,
// launch a kernel by its index in the Java kernel catalogue, row-major GEMM). Little-endian binary; any
// misuse (an unknown pointer, a range outside an allocation, a kernel argument of the wrong type) ends the
// process with a message on stderr, which the Java side reports.
#include "cuda_emulation.h"

#include <map>

// The kernel sources and the generated dispatch table are appended by the test after this file:
// kernels.inc holds prelude.cuh followed by every .cu file; dispatch.inc defines dispatch().
#include "kernels.inc"

namespace {

enum Tag : uint8_t { PTR = 0, I32 = 1, I64 = 2, F32 = 3, F64 = 4 };

struct Arg {
    uint8_t tag;
    uint64_t bits;

    void expect(uint8_t wanted) const {
        if (tag != wanted) {
            emu::fail("a kernel argument's type differs from the kernel's parameter type");
        }
    }
    template <typename P>
    operator P*() const {
        expect(PTR);
        return reinterpret_cast<P*>(bits);
    }
    operator int() const {
        expect(I32);
        return (int) (int32_t) bits;
    }
    operator long long() const {
        expect(I64);
        return (long long) bits;
    }
    operator float() const {
        expect(F32);
        uint32_t b = (uint32_t) bits;
        float f;
        std::memcpy(&f, &b, sizeof f);
        return f;
    }
    operator double() const {
        expect(F64);
        double d;
        std::memcpy(&d, &bits, sizeof d);
        return d;
    }
};

}  // namespace

#include "dispatch.inc"

namespace {

std::map<uint64_t, uint64_t> allocations;  // address -> bytes

template <typename V>
V read() {
    V v;
    if (std::fread(&v, sizeof v, 1, stdin) != 1) {
        std::exit(0);  // the test closed the pipe
    }
    return v;
}

template <typename V>
void write(V v) {
    std::fwrite(&v, sizeof v, 1, stdout);
}

// Fails unless [address, address + bytes) lies inside one allocation.
void check_range(uint64_t address, uint64_t bytes) {
    auto it = allocations.upper_bound(address);
    if (it == allocations.begin()) {
        emu::fail("address outside every allocation");
    }
    --it;
    if (address + bytes > it->first + it->second) {
        emu::fail("range runs past the end of its allocation");
    }
}

float load(const void* base, uint8_t type, int64_t index) {
    if (type == 0) {
        return static_cast<const float*>(base)[index];
    }
    return to_float(static_cast<const bf16*>(base)[index]);
}

void put(void* base, uint8_t type, int64_t index, float v) {
    if (type == 0) {
        static_cast<float*>(base)[index] = v;
    } else {
        store(static_cast<bf16*>(base) + index, v);
    }
}

int64_t element_bytes(uint8_t type) {
    return type == 0 ? 4 : 2;
}

// C = alpha * op(A) op(B) + beta * C, row-major, batched with element strides; fp64 accumulation.
void gemm() {
    uint8_t trans_a = read<uint8_t>();
    uint8_t trans_b = read<uint8_t>();
    int32_t m = read<int32_t>(), n = read<int32_t>(), k = read<int32_t>();
    float alpha = read<float>();
    uint64_t a = read<uint64_t>();
    int64_t lda = read<int64_t>(), stride_a = read<int64_t>();
    uint64_t b = read<uint64_t>();
    int64_t ldb = read<int64_t>(), stride_b = read<int64_t>();
    float beta = read<float>();
    uint64_t c = read<uint64_t>();
    int64_t ldc = read<int64_t>(), stride_c = read<int64_t>();
    int32_t batch = read<int32_t>();
    uint8_t type_ab = read<uint8_t>();
    uint8_t type_c = read<uint8_t>();
    int64_t rows_a = trans_a ? k : m, cols_a = trans_a ? m : k;
    int64_t rows_b = trans_b ? n : k, cols_b = trans_b ? k : n;
    if (lda < cols_a || ldb < cols_b || ldc < n || m <= 0 || n <= 0 || k <= 0 || batch <= 0) {
        emu::fail("bad GEMM shape");
    }
    int64_t eb = element_bytes(type_ab);
    int64_t ec = element_bytes(type_c);
    for (int32_t p = 0; p < batch; p++) {
        check_range(a + (uint64_t) (p * stride_a * eb), (uint64_t) (((rows_a - 1) * lda + cols_a) * eb));
        check_range(b + (uint64_t) (p * stride_b * eb), (uint64_t) (((rows_b - 1) * ldb + cols_b) * eb));
        check_range(c + (uint64_t) (p * stride_c * ec), (uint64_t) (((int64_t) (m - 1) * ldc + n) * ec));
        const void* pa = reinterpret_cast<const char*>(a) + p * stride_a * eb;
        const void* pb = reinterpret_cast<const char*>(b) + p * stride_b * eb;
        void* pc = reinterpret_cast<char*>(c) + p * stride_c * ec;
        for (int32_t i = 0; i < m; i++) {
            for (int32_t j = 0; j < n; j++) {
                double sum = 0;
                for (int32_t l = 0; l < k; l++) {
                    double x = load(pa, type_ab, trans_a ? (int64_t) l * lda + i : (int64_t) i * lda + l);
                    double y = load(pb, type_ab, trans_b ? (int64_t) j * ldb + l : (int64_t) l * ldb + j);
                    sum += x * y;
                }
                int64_t at = (int64_t) i * ldc + j;
                double old = beta == 0.0f ? 0.0 : beta * (double) load(pc, type_c, at);
                put(pc, type_c, at, (float) (alpha * sum + old));
            }
        }
    }
}

void launch() {
    uint32_t kernel = read<uint32_t>();
    emu::dim3 grid{read<uint32_t>(), read<uint32_t>(), read<uint32_t>()};
    emu::dim3 block{read<uint32_t>(), 1, 1};
    uint32_t count = read<uint32_t>();
    Arg args[32];
    if (count > 32) {
        emu::fail("too many kernel arguments");
    }
    for (uint32_t i = 0; i < count; i++) {
        args[i].tag = read<uint8_t>();
        args[i].bits = read<uint64_t>();
        if (args[i].tag == PTR && args[i].bits != 0) {
            check_range(args[i].bits, 1);
        }
    }
    dispatch(kernel, count, grid, block, args);
}

}  // namespace

int main() {
    for (;;) {
        uint8_t op = read<uint8_t>();
        switch (op) {
            case 1: {  // allocate: bytes -> address; filled with 0xff (NaN in fp32 and bf16) to expose reads of
                       // memory nothing wrote
                uint64_t bytes = read<uint64_t>();
                uint64_t rounded = (bytes + 255) / 256 * 256;
                void* p = std::aligned_alloc(256, rounded == 0 ? 256 : rounded);
                if (p == nullptr) {
                    emu::fail("out of host memory");
                }
                std::memset(p, 0xff, rounded == 0 ? 256 : rounded);
                allocations[reinterpret_cast<uint64_t>(p)] = bytes;
                write(reinterpret_cast<uint64_t>(p));
                std::fflush(stdout);
                break;
            }
            case 2: {  // free
                uint64_t p = read<uint64_t>();
                if (allocations.erase(p) != 1) {
                    emu::fail("free of an address that is not an allocation");
                }
                std::free(reinterpret_cast<void*>(p));
                break;
            }
            case 3: {  // set bytes
                uint64_t p = read<uint64_t>();
                uint8_t value = read<uint8_t>();
                uint64_t bytes = read<uint64_t>();
                check_range(p, bytes);
                std::memset(reinterpret_cast<void*>(p), value, bytes);
                break;
            }
            case 4: {  // upload
                uint64_t p = read<uint64_t>();
                uint64_t bytes = read<uint64_t>();
                check_range(p, bytes);
                if (std::fread(reinterpret_cast<void*>(p), 1, bytes, stdin) != bytes) {
                    std::exit(0);
                }
                break;
            }
            case 5: {  // download
                uint64_t p = read<uint64_t>();
                uint64_t bytes = read<uint64_t>();
                check_range(p, bytes);
                std::fwrite(reinterpret_cast<void*>(p), 1, bytes, stdout);
                std::fflush(stdout);
                break;
            }
            case 6: {  // device-to-device copy
                uint64_t dst = read<uint64_t>();
                uint64_t src = read<uint64_t>();
                uint64_t bytes = read<uint64_t>();
                check_range(dst, bytes);
                check_range(src, bytes);
                std::memmove(reinterpret_cast<void*>(dst), reinterpret_cast<void*>(src), bytes);
                break;
            }
            case 7:
                launch();
                break;
            case 8:
                gemm();
                break;
            case 9:  // synchronize: everything before has run
                write<uint8_t>(0);
                std::fflush(stdout);
                break;
            default:
                emu::fail("unknown command");
        }
    }
}
