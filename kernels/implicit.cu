// Implicit diffusion steps for the CuPy backend (the "implicit" scheme of
// multipolar.kernels.contract): backward Euler in delta form with one tridiagonal solve
// per row and per column, clipped at 0 and rescaled to the exact total.
//
// Per step, with g = dt*D and base = 1 + dt*lam:
//   implicit_rows:    r = dt*((D*lap(u) - lam*u) + s)   (the explicit increment)
//                     (base I - g Lx) v = r              along every row, v -> out
//   implicit_columns: (I - g Ly) delta = v               along every column, in place
//                     out = max(u + delta, 0); colsum = each column's float64 sum
//   sum_columns, implicit_factors, scale_fields: out *= T' / total(out), with
//                     T' = (T + dt*S) / (1 + dt*lam) carried in float64.
// column_sums + sum_columns give the first T and S.
//
// Fields are (B, K, H, W) float32, row-major; c is (H, W); d and lam hold one value per
// channel. One thread owns one line (a row or a column) of one channel of one member:
// grid (ceil(lines / blockDim.x), K, B). The forward elimination keeps its factors in
// `work` (shaped like the fields). Column sums run from the last row up and totals add the
// columns left to right, the order of numpy_ref.ordered_totals. The float32 arithmetic is
// the NumPy reference's, operation for operation, with explicit round-to-nearest
// intrinsics (no contraction into FMA): results are bitwise those of the host backends.
//
// Loaded with cupy.RawModule by multipolar.kernels._cuda_source (which prepends a #line
// directive); compilable on its own: nvcc -ptx -arch=sm_90 kernels/implicit.cu

__device__ __forceinline__ float half_sum(float a, float b) {
    return __fmul_rn(__fadd_rn(a, b), 0.5f);
}

__device__ __forceinline__ float flux_of(float cf, float neighbour, float centre) {
    return __fmul_rn(cf, __fsub_rn(neighbour, centre));
}

// One forward-elimination step of a cell: `lo`/`up` are g times its faces, `base` the
// diagonal's base, `rhs` its right-hand side; `cp`/`dp` carry the previous cell's factor
// and value and receive this cell's.
__device__ __forceinline__ void eliminate(
    float lo, float up, float base, float rhs, float* cp, float* dp)
{
    const float diag = __fadd_rn(__fadd_rn(base, lo), up);
    const float m = __fdiv_rn(1.0f, __fsub_rn(diag, __fmul_rn(lo, *cp)));
    *cp = __fmul_rn(up, m);
    *dp = __fmul_rn(__fadd_rn(rhs, __fmul_rn(lo, *dp)), m);
}

extern "C" __global__ void implicit_rows(
    const float* __restrict__ u, const float* __restrict__ s, float* __restrict__ out,
    float* __restrict__ work, const float* __restrict__ c, const float* __restrict__ d,
    const float* __restrict__ lam, float dt, int n_channels, int height, int width)
{
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= height) {
        return;
    }
    const int k = blockIdx.y;
    const long long row = (((long long)blockIdx.z * n_channels + k) * height + i) * width;
    const float* cr = c + (long long)i * width;
    const float dk = __ldg(d + k);
    const float lk = __ldg(lam + k);
    const float gk = __fmul_rn(dt, dk);
    const float base = __fadd_rn(1.0f, __fmul_rn(dt, lk));
    float cp = 0.0f;
    float dp = 0.0f;
    float west = 0.0f;
    for (int j = 0; j < width; ++j) {
        const long long x = row + j;
        const float c0 = __ldg(cr + j);
        const float east = j + 1 < width ? half_sum(c0, __ldg(cr + j + 1)) : 0.0f;
        const float u0 = u[x];
        float lap = 0.0f;
        if (j + 1 < width) lap = __fadd_rn(lap, flux_of(east, u[x + 1], u0));
        if (j > 0) lap = __fadd_rn(lap, flux_of(west, u[x - 1], u0));
        if (i + 1 < height) lap = __fadd_rn(lap, flux_of(half_sum(c0, __ldg(cr + j + width)), u[x + width], u0));
        if (i > 0) lap = __fadd_rn(lap, flux_of(half_sum(c0, __ldg(cr + j - width)), u[x - width], u0));
        const float rate = __fadd_rn(__fsub_rn(__fmul_rn(dk, lap), __fmul_rn(lk, u0)), s[x]);
        eliminate(__fmul_rn(gk, west), __fmul_rn(gk, east), base, __fmul_rn(dt, rate), &cp, &dp);
        work[x] = cp;
        out[x] = dp;
        west = east;
    }
    float v = 0.0f;
    for (int j = width - 1; j >= 0; --j) {
        v = __fadd_rn(out[row + j], __fmul_rn(work[row + j], v));
        out[row + j] = v;
    }
}

// Neighbouring threads own neighbouring columns, so every access of a warp is coalesced.
extern "C" __global__ void implicit_columns(
    const float* __restrict__ u, float* __restrict__ out, float* __restrict__ work,
    double* __restrict__ colsum, const float* __restrict__ c, const float* __restrict__ d,
    float dt, int n_channels, int height, int width)
{
    const int j = blockIdx.x * blockDim.x + threadIdx.x;
    if (j >= width) {
        return;
    }
    const int k = blockIdx.y;
    const long long field = (long long)blockIdx.z * n_channels + k;
    const long long plane = field * height * width;
    const float gk = __fmul_rn(dt, __ldg(d + k));
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
    float delta = 0.0f;
    double sum = 0.0;
    for (int i = height - 1; i >= 0; --i) {
        const long long x = plane + (long long)i * width + j;
        delta = __fadd_rn(out[x], __fmul_rn(work[x], delta));
        const float y = __fadd_rn(u[x], delta);
        const float kept = y > 0.0f ? y : 0.0f;
        out[x] = kept;
        sum += (double)kept;
    }
    colsum[field * width + j] = sum;
}

// colsum[f, j] = sum of column j of field f, from the last row up. Grid (ceil(W / blockDim.x), N).
extern "C" __global__ void column_sums(
    const float* __restrict__ x, double* __restrict__ colsum, int height, int width)
{
    const int j = blockIdx.x * blockDim.x + threadIdx.x;
    if (j >= width) {
        return;
    }
    const long long field = blockIdx.y;
    const float* plane = x + field * height * width;
    double sum = 0.0;
    for (int i = height - 1; i >= 0; --i) {
        sum += (double)plane[(long long)i * width + j];
    }
    colsum[field * width + j] = sum;
}

// totals[f] = colsum[f, 0] + colsum[f, 1] + ... (left to right), one thread per field.
extern "C" __global__ void sum_columns(
    const double* __restrict__ colsum, double* __restrict__ totals, int width, int n_fields)
{
    const int f = blockIdx.x * blockDim.x + threadIdx.x;
    if (f >= n_fields) {
        return;
    }
    double total = 0.0;
    for (int j = 0; j < width; ++j) {
        total += colsum[(long long)f * width + j];
    }
    totals[f] = total;
}

// Advances each field's exact total T (in place) by one step and sets the factor that
// scales the field's current total `got` to it (1 for an empty field).
extern "C" __global__ void implicit_factors(
    const double* __restrict__ got, double* __restrict__ target,
    const double* __restrict__ source_total, const float* __restrict__ lam,
    float dt, int n_channels, int n_fields, float* __restrict__ factor)
{
    const int f = blockIdx.x * blockDim.x + threadIdx.x;
    if (f >= n_fields) {
        return;
    }
    const double dt64 = (double)dt;
    const double rate = 1.0 + dt64 * (double)lam[f % n_channels];
    const double total = (target[f] + dt64 * source_total[f]) / rate;
    target[f] = total;
    factor[f] = got[f] > 0.0 ? (float)(total / got[f]) : 1.0f;
}

// x[f, :] *= factor[f]. Grid (ceil(plane / blockDim.x), N).
extern "C" __global__ void scale_fields(
    float* __restrict__ x, const float* __restrict__ factor, long long plane)
{
    const long long p = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (p >= plane) {
        return;
    }
    const long long at = (long long)blockIdx.y * plane + p;
    x[at] = __fmul_rn(x[at], factor[blockIdx.y]);
}
