// Zonal sums for the CuPy backend: the total of each field over each label, in float64.
//
// u is (N, n_cells) float32 (N = B * K fields), labels is (n_cells,) int32 in [0, n_labels)
// (checked by the caller), out is (N, n_labels) float64 and zeroed by the caller.
// Grid: (any, N); blockDim.x a multiple of 32. Each block accumulates a private histogram
// in shared memory (zonal_sum_shared, dynamic shared memory of n_labels doubles) or
// straight into out (zonal_sum_global, for label counts too large for shared memory).
// A warp whose 32 cells share one label (most warps of a raster) first reduces its values
// with shuffles and issues one atomic instead of 32.

__device__ __forceinline__ void accumulate(double* hist, int label, double value) {
    const unsigned all = 0xffffffffu;
    const int label0 = __shfl_sync(all, label, 0);
    if (__all_sync(all, label == label0)) {
        for (int offset = 16; offset > 0; offset >>= 1) {
            value += __shfl_down_sync(all, value, offset);
        }
        if ((threadIdx.x & 31) == 0 && label0 >= 0) {
            atomicAdd(hist + label0, value);
        }
    } else if (label >= 0) {
        atomicAdd(hist + label, value);
    }
}

// Every thread of a warp runs the same number of iterations (the loop bound depends on the
// block, not the lane), so the full-mask shuffles above are safe; lanes past the end carry
// label -1 and value 0.
__device__ __forceinline__ void sweep(
    const float* __restrict__ field, const int* __restrict__ labels,
    long long n_cells, double* hist)
{
    const long long stride = (long long)gridDim.x * blockDim.x;
    for (long long first = (long long)blockIdx.x * blockDim.x; first < n_cells; first += stride) {
        const long long p = first + threadIdx.x;
        int label = -1;
        double value = 0.0;
        if (p < n_cells) {
            label = __ldg(labels + p);
            value = (double)__ldg(field + p);
        }
        accumulate(hist, label, value);
    }
}

extern "C" __global__ void zonal_sum_shared(
    const float* __restrict__ u, const int* __restrict__ labels,
    double* __restrict__ out, long long n_cells, int n_labels)
{
    extern __shared__ double hist[];
    for (int l = threadIdx.x; l < n_labels; l += blockDim.x) {
        hist[l] = 0.0;
    }
    __syncthreads();
    sweep(u + (long long)blockIdx.y * n_cells, labels, n_cells, hist);
    __syncthreads();
    double* total = out + (long long)blockIdx.y * n_labels;
    for (int l = threadIdx.x; l < n_labels; l += blockDim.x) {
        if (hist[l] != 0.0) {
            atomicAdd(total + l, hist[l]);
        }
    }
}

extern "C" __global__ void zonal_sum_global(
    const float* __restrict__ u, const int* __restrict__ labels,
    double* __restrict__ out, long long n_cells, int n_labels)
{
    sweep(u + (long long)blockIdx.y * n_cells, labels, n_cells, out + (long long)blockIdx.y * n_labels);
}
