// Implicit diffusion steps for the CuPy backend: locally one-dimensional backward Euler.
//
// One step of dt solves, along every row, ((1 + dt*lam) I - dt*D*Lx) u1 = u + dt*s and then,
// along every column, (I - dt*D*Ly) u' = u1, where Lx and Ly are the flux-form 1-D operators
// with face conductance (c + c[n]) / 2 and no flux across the edge (docs/model.md §7.9). Each line is
// a tridiagonal M-matrix system solved by the Thomas algorithm: every denominator is at
// least 1 and every term non-negative, so the step is stable and non-negative for any dt.
//
// Fields are (B, K, H, W) float32, row-major; c is (H, W); g = dt * D and lam hold one value
// per channel. One thread owns one line (a row or a column) of one channel of one member:
// grid (ceil(lines / blockDim.x), K, B). The forward elimination keeps the factors in `work`
// (shaped like the fields) and the values in `out`; the back substitution rewrites `out`.
// A thread reads its line completely before it writes it, so `out` may alias the input.
// The arithmetic is the NumPy reference's (multipolar.kernels.numpy_ref._solve_lines),
// operation for operation, with explicit round-to-nearest intrinsics (no contraction into
// FMA): the results are bitwise those of the host backends.
//
// Loaded with cupy.RawModule by multipolar.kernels._cuda_source (which prepends a #line
// directive); compilable on its own: nvcc -ptx -arch=sm_90 kernels/implicit.cu

__device__ __forceinline__ float half_sum(float a, float b) {
    return __fmul_rn(__fadd_rn(a, b), 0.5f);
}

// One forward-elimination step of cell k: `lo`/`up` are dt*D times its faces, `base` is
// 1 + dt*lam (or 1), `rhs` its right-hand side; `cp`/`dp` carry the previous cell's factor
// and value and receive this cell's.
__device__ __forceinline__ void eliminate(
    float lo, float up, float base, float rhs, float* cp, float* dp)
{
    const float diag = __fadd_rn(__fadd_rn(base, lo), up);
    const float m = __fdiv_rn(1.0f, __fsub_rn(diag, __fmul_rn(lo, *cp)));
    *cp = __fmul_rn(up, m);
    *dp = __fmul_rn(__fadd_rn(rhs, __fmul_rn(lo, *dp)), m);
}

// Row sweep with decay and sources: out = ((1 + dt*lam) I - dt*D*Lx)^-1 (u + dt*s).
extern "C" __global__ void lod_rows(
    const float* u, const float* __restrict__ s, float* out, float* __restrict__ work,
    const float* __restrict__ c, const float* __restrict__ g, const float* __restrict__ lam,
    float dt, int n_channels, int height, int width)
{
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= height) {
        return;
    }
    const int k = blockIdx.y;
    const long long row = (((long long)blockIdx.z * n_channels + k) * height + i) * width;
    const float* cr = c + (long long)i * width;
    const float gk = __ldg(g + k);
    const float base = __fadd_rn(1.0f, __fmul_rn(dt, __ldg(lam + k)));
    float cp = 0.0f;
    float dp = 0.0f;
    float west = 0.0f;
    for (int j = 0; j < width; ++j) {
        const float east = j + 1 < width ? half_sum(__ldg(cr + j), __ldg(cr + j + 1)) : 0.0f;
        const float rhs = __fadd_rn(u[row + j], __fmul_rn(dt, s[row + j]));
        eliminate(__fmul_rn(gk, west), __fmul_rn(gk, east), base, rhs, &cp, &dp);
        work[row + j] = cp;
        out[row + j] = dp;
        west = east;
    }
    float x = 0.0f;
    for (int j = width - 1; j >= 0; --j) {
        x = __fadd_rn(out[row + j], __fmul_rn(work[row + j], x));
        out[row + j] = x;
    }
}

// Column sweep, in place: out = (I - dt*D*Ly)^-1 out. Neighbouring threads own neighbouring
// columns, so every access of a warp is coalesced.
extern "C" __global__ void lod_columns(
    float* out, float* __restrict__ work, const float* __restrict__ c,
    const float* __restrict__ g, int n_channels, int height, int width)
{
    const int j = blockIdx.x * blockDim.x + threadIdx.x;
    if (j >= width) {
        return;
    }
    const int k = blockIdx.y;
    const long long plane = (((long long)blockIdx.z * n_channels + k) * height) * width;
    const float gk = __ldg(g + k);
    float cp = 0.0f;
    float dp = 0.0f;
    float north = 0.0f;
    for (int i = 0; i < height; ++i) {
        const long long cell = (long long)i * width + j;
        const float south = i + 1 < height ? half_sum(__ldg(c + cell), __ldg(c + cell + width)) : 0.0f;
        eliminate(__fmul_rn(gk, north), __fmul_rn(gk, south), 1.0f, out[plane + cell], &cp, &dp);
        work[plane + cell] = cp;
        out[plane + cell] = dp;
        north = south;
    }
    float x = 0.0f;
    for (int i = height - 1; i >= 0; --i) {
        const long long cell = plane + (long long)i * width + j;
        x = __fadd_rn(out[cell], __fmul_rn(work[cell], x));
        out[cell] = x;
    }
}
