// CPU emulation of the CUDA subset that kernels/*.cu use, for testing them without a GPU.
//
// Every CUDA thread of a block is an OS thread; the blocks of a launch run one after
// another on the same threads, so a function-local `static` (what __shared__ becomes here)
// is the block's shared memory. __syncthreads is a real barrier over the block, warp
// shuffles and votes exchange values through per-warp slots between two warp barriers,
// atomicAdd is a real atomic. The float intrinsics (__fadd_rn, ...) are plain IEEE
// single-precision operations (IEEE division is correctly rounded, as __fdiv_rn): compile with -ffp-contract=off, as NVRTC's --fmad=false.
//
// emu_launch_kernel(kernel, grid, block, shared_bytes, args) takes the kernel's arguments
// as an array of pointers to each value, like cuLaunchKernel's kernelParams.
// EMU_EXPORT(kernel) defines extern "C" int emu_launch_<kernel>(...) for ctypes.
// Dynamic shared memory (`extern __shared__ T name[];` in CUDA) is emu_dynamic_shared.

#pragma once

#include <array>
#include <atomic>
#include <barrier>
#include <cstddef>
#include <cstring>
#include <functional>
#include <memory>
#include <system_error>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

struct dim3 {
    unsigned x = 1, y = 1, z = 1;
};

inline thread_local dim3 threadIdx;
inline thread_local dim3 blockIdx;
inline dim3 blockDim;
inline dim3 gridDim;

#define __global__
#define __device__
#define __forceinline__ inline
#define __restrict__ __restrict
#define __shared__ static

constexpr int emu_warp_size = 32;
constexpr int emu_max_threads = 1024;
constexpr std::size_t emu_shared_bytes = 48 * 1024;

alignas(64) inline unsigned char emu_dynamic_shared[emu_shared_bytes];

struct EmuBlock {
    std::barrier<> block;
    std::vector<std::unique_ptr<std::barrier<>>> warps;
    std::array<std::array<std::array<unsigned char, 8>, emu_warp_size>, emu_max_threads / emu_warp_size>
        slots{};

    explicit EmuBlock(int n_threads) : block(n_threads) {
        for (int first = 0; first < n_threads; first += emu_warp_size) {
            const int lanes = n_threads - first < emu_warp_size ? n_threads - first : emu_warp_size;
            warps.push_back(std::make_unique<std::barrier<>>(lanes));
        }
    }
};

inline EmuBlock* emu_block = nullptr;
inline thread_local int emu_lane = 0;
inline thread_local int emu_warp = 0;

inline void __syncthreads() { emu_block->block.arrive_and_wait(); }

inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fsub_rn(float a, float b) { return a - b; }
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fdiv_rn(float a, float b) { return a / b; }

template <class T>
inline T __ldg(const T* p) { return *p; }

inline double atomicAdd(double* address, double value) {
    return std::atomic_ref<double>(*address).fetch_add(value);
}

// Lane `lane` of this warp publishes `value`; every lane then reads lane `source`'s value
// (its own when `source` lies outside the warp).
template <class T>
inline T emu_exchange(T value, int source) {
    static_assert(sizeof(T) <= 8, "warp exchange of values up to 8 bytes");
    auto& slots = emu_block->slots[emu_warp];
    std::memcpy(slots[emu_lane].data(), &value, sizeof(T));
    emu_block->warps[emu_warp]->arrive_and_wait();
    T result = value;
    if (source >= 0 && source < emu_warp_size) {
        std::memcpy(&result, slots[source].data(), sizeof(T));
    }
    emu_block->warps[emu_warp]->arrive_and_wait();
    return result;
}

template <class T>
inline T __shfl_sync(unsigned, T value, int source) { return emu_exchange(value, source); }

template <class T>
inline T __shfl_down_sync(unsigned, T value, unsigned delta) {
    return emu_exchange(value, emu_lane + static_cast<int>(delta));
}

inline int __all_sync(unsigned, int predicate) {
    const int n_threads = static_cast<int>(blockDim.x * blockDim.y * blockDim.z);
    const int rest = n_threads - emu_warp * emu_warp_size;
    const int lanes = rest < emu_warp_size ? rest : emu_warp_size;
    auto& slots = emu_block->slots[emu_warp];
    slots[emu_lane][0] = predicate != 0;
    emu_block->warps[emu_warp]->arrive_and_wait();
    int all = 1;
    for (int lane = 0; lane < lanes; ++lane) {
        all &= slots[lane][0];
    }
    emu_block->warps[emu_warp]->arrive_and_wait();
    return all;
}

// Runs `body` as every thread of every block of the grid; 0 on success, 1 for a launch
// configuration CUDA would refuse, 2 when the OS refuses a thread (none runs the body then).
inline int emu_launch(dim3 grid, dim3 block, std::size_t shared_bytes, const std::function<void()>& body) {
    const long n_threads = static_cast<long>(block.x) * block.y * block.z;
    if (n_threads < 1 || n_threads > emu_max_threads || grid.x < 1 || grid.y < 1 || grid.z < 1 ||
        shared_bytes > emu_shared_bytes) {
        return 1;
    }
    gridDim = grid;
    blockDim = block;
    EmuBlock state(static_cast<int>(n_threads));
    emu_block = &state;
    enum : int { waiting, running, aborted };
    std::atomic<int> gate{waiting};
    std::vector<std::thread> threads;
    auto open = [&](int how) {
        gate.store(how);
        gate.notify_all();
        for (auto& thread : threads) {
            thread.join();
        }
        emu_block = nullptr;
    };
    try {
        for (int t = 0; t < n_threads; ++t) {
            threads.emplace_back([&, t] {
                gate.wait(waiting);
                if (gate.load() == aborted) {
                    return;
                }
                threadIdx = {t % block.x, (t / block.x) % block.y, t / (block.x * block.y)};
                emu_lane = t % emu_warp_size;
                emu_warp = t / emu_warp_size;
                for (unsigned z = 0; z < grid.z; ++z) {
                    for (unsigned y = 0; y < grid.y; ++y) {
                        for (unsigned x = 0; x < grid.x; ++x) {
                            blockIdx = {x, y, z};
                            body();
                            state.block.arrive_and_wait();
                        }
                    }
                }
            });
        }
    } catch (const std::system_error&) {
        open(aborted);
        return 2;
    }
    open(running);
    return 0;
}

template <class... Args, std::size_t... I>
inline void emu_call(void (*kernel)(Args...), void** args, std::index_sequence<I...>) {
    kernel(*static_cast<std::remove_reference_t<Args>*>(args[I])...);
}

template <class... Args>
inline int emu_launch_kernel(void (*kernel)(Args...), dim3 grid, dim3 block, std::size_t shared_bytes,
                             void** args) {
    return emu_launch(grid, block, shared_bytes,
                      [&] { emu_call(kernel, args, std::index_sequence_for<Args...>{}); });
}

#define EMU_EXPORT(kernel)                                                                       \
    extern "C" int emu_launch_##kernel(const unsigned* grid, const unsigned* block,              \
                                       std::size_t shared_bytes, void** args) {                  \
        return emu_launch_kernel(kernel, {grid[0], grid[1], grid[2]}, {block[0], block[1], block[2]}, \
                                 shared_bytes, args);                                            \
    }
