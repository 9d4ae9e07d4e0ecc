// Explicit variable-coefficient diffusion steps for the CuPy backend (docs/model.md §7.9).
//
// Fields are (B, K, H, W) float32, row-major; the conductance c is (H, W) and shared by
// every channel and ensemble member; d and lam hold one value per channel (K).
// The arithmetic is the NumPy reference's, operation by operation, with explicit
// round-to-nearest intrinsics so that no multiply-add is contracted into an FMA:
//   lap = 0 (+ fe) (+ fw) (+ fs) (+ fn)   with f = cf * (u[n] - u), cf = (c + c[n]) / 2,
//   u'  = u + dt * ((D * lap - lam * u) + s),
// a term present only when the neighbour lies inside the grid (no flux across the edge).
//
// Loaded with cupy.RawModule by multipolar.kernels._cuda_source, which prepends a #line
// directive and passes TILE_H, TILE_W and MAX_SUBSTEPS; the defaults below keep the file
// compilable on its own (nvcc -ptx -arch=sm_90 kernels/diffusion.cu).

#ifndef TILE_H
#define TILE_H 32
#endif
#ifndef TILE_W
#define TILE_W 32
#endif
#ifndef MAX_SUBSTEPS
#define MAX_SUBSTEPS 8
#endif

#define REGION ((TILE_H + 2 * MAX_SUBSTEPS) * (TILE_W + 2 * MAX_SUBSTEPS))

__device__ __forceinline__ float face(float a, float b) {
    return __fmul_rn(__fadd_rn(a, b), 0.5f);
}

__device__ __forceinline__ float flux(float cf, float neighbour, float centre) {
    return __fmul_rn(cf, __fsub_rn(neighbour, centre));
}

__device__ __forceinline__ float advance(float u0, float lap, float dk, float lk, float dt, float src) {
    const float rate = __fadd_rn(__fsub_rn(__fmul_rn(dk, lap), __fmul_rn(lk, u0)), src);
    return __fadd_rn(u0, __fmul_rn(dt, rate));
}

// One step for every channel of one ensemble member per thread column.
// Grid: (ceil(W / blockDim.x), ceil(H / blockDim.y), B). Each thread owns one cell (i, j),
// reads the conductance around it once and updates the K channels of member blockIdx.z.
extern "C" __global__ void diffuse_step(
    const float* __restrict__ u, float* __restrict__ out,
    const float* __restrict__ c, const float* __restrict__ s,
    const float* __restrict__ d, const float* __restrict__ lam,
    float dt, int n_channels, int height, int width)
{
    const int j = blockIdx.x * blockDim.x + threadIdx.x;
    const int i = blockIdx.y * blockDim.y + threadIdx.y;
    if (i >= height || j >= width) {
        return;
    }
    const long long cell = (long long)i * width + j;
    const bool has_e = j + 1 < width;
    const bool has_w = j > 0;
    const bool has_s = i + 1 < height;
    const bool has_n = i > 0;
    const float c0 = __ldg(c + cell);
    const float cfe = has_e ? face(c0, __ldg(c + cell + 1)) : 0.0f;
    const float cfw = has_w ? face(c0, __ldg(c + cell - 1)) : 0.0f;
    const float cfs = has_s ? face(c0, __ldg(c + cell + width)) : 0.0f;
    const float cfn = has_n ? face(c0, __ldg(c + cell - width)) : 0.0f;
    const long long plane = (long long)height * width;
    for (int k = 0; k < n_channels; ++k) {
        const long long x = ((long long)blockIdx.z * n_channels + k) * plane + cell;
        const float u0 = u[x];
        float lap = 0.0f;
        if (has_e) lap = __fadd_rn(lap, flux(cfe, u[x + 1], u0));
        if (has_w) lap = __fadd_rn(lap, flux(cfw, u[x - 1], u0));
        if (has_s) lap = __fadd_rn(lap, flux(cfs, u[x + width], u0));
        if (has_n) lap = __fadd_rn(lap, flux(cfn, u[x - width], u0));
        out[x] = advance(u0, lap, __ldg(d + k), __ldg(lam + k), dt, s[x]);
    }
}

// `substeps` steps (1 <= substeps <= MAX_SUBSTEPS) per launch with temporal blocking.
// Grid: (ceil(W / TILE_W), ceil(H / TILE_H), B), any block size (256 threads suggested).
// A block loads its TILE_H x TILE_W tile grown by `substeps` cells on each side into shared
// memory and, at substep t, updates the tile grown by `substeps - t` cells (overlapped
// tiling: the halo is recomputed, never exchanged), then writes the tile. The cells it
// computes see the same neighbour values as in one-step launches, so results are equal.
extern "C" __global__ void diffuse_tiled(
    const float* __restrict__ u, float* __restrict__ out,
    const float* __restrict__ c, const float* __restrict__ s,
    const float* __restrict__ d, const float* __restrict__ lam,
    float dt, int n_channels, int height, int width, int substeps)
{
    __shared__ float cs[REGION];
    __shared__ float ss[REGION];
    __shared__ float ua[REGION];
    __shared__ float ub[REGION];

    const int halo = substeps;
    const int rw = TILE_W + 2 * halo;
    const int rh = TILE_H + 2 * halo;
    const int i0 = (int)blockIdx.y * TILE_H - halo;
    const int j0 = (int)blockIdx.x * TILE_W - halo;
    const int tid = threadIdx.y * blockDim.x + threadIdx.x;
    const int n_threads = blockDim.x * blockDim.y;
    const long long plane = (long long)height * width;

    for (int p = tid; p < rh * rw; p += n_threads) {
        const int gi = i0 + p / rw;
        const int gj = j0 + p % rw;
        const bool inside = gi >= 0 && gi < height && gj >= 0 && gj < width;
        cs[p] = inside ? __ldg(c + (long long)gi * width + gj) : 0.0f;
    }

    for (int k = 0; k < n_channels; ++k) {
        const long long base = ((long long)blockIdx.z * n_channels + k) * plane;
        const float dk = __ldg(d + k);
        const float lk = __ldg(lam + k);
        for (int p = tid; p < rh * rw; p += n_threads) {
            const int gi = i0 + p / rw;
            const int gj = j0 + p % rw;
            const bool inside = gi >= 0 && gi < height && gj >= 0 && gj < width;
            const long long x = base + (long long)gi * width + gj;
            ua[p] = inside ? u[x] : 0.0f;
            ss[p] = inside ? s[x] : 0.0f;
        }
        __syncthreads();

        float* cur = ua;
        float* nxt = ub;
        for (int t = 1; t <= substeps; ++t) {
            const int grow = substeps - t;
            const int r_lo = halo - grow;
            const int q_lo = halo - grow;
            const int n_rows = TILE_H + 2 * grow;
            const int n_cols = TILE_W + 2 * grow;
            for (int p = tid; p < n_rows * n_cols; p += n_threads) {
                const int r = r_lo + p / n_cols;
                const int q = q_lo + p % n_cols;
                const int gi = i0 + r;
                const int gj = j0 + q;
                if (gi < 0 || gi >= height || gj < 0 || gj >= width) {
                    continue;
                }
                const int x = r * rw + q;
                const float c0 = cs[x];
                const float u0 = cur[x];
                float lap = 0.0f;
                if (gj + 1 < width) lap = __fadd_rn(lap, flux(face(c0, cs[x + 1]), cur[x + 1], u0));
                if (gj > 0) lap = __fadd_rn(lap, flux(face(c0, cs[x - 1]), cur[x - 1], u0));
                if (gi + 1 < height) lap = __fadd_rn(lap, flux(face(c0, cs[x + rw]), cur[x + rw], u0));
                if (gi > 0) lap = __fadd_rn(lap, flux(face(c0, cs[x - rw]), cur[x - rw], u0));
                nxt[x] = advance(u0, lap, dk, lk, dt, ss[x]);
            }
            __syncthreads();
            float* done = nxt;
            nxt = cur;
            cur = done;
        }

        for (int p = tid; p < TILE_H * TILE_W; p += n_threads) {
            const int r = halo + p / TILE_W;
            const int q = halo + p % TILE_W;
            const int gi = i0 + r;
            const int gj = j0 + q;
            if (gi < height && gj < width) {
                out[base + (long long)gi * width + gj] = cur[r * rw + q];
            }
        }
        __syncthreads();
    }
}
