/*
 * Sorting and scanning along rows on the device, the twins of
 * cpu/sort_scan.cpp.
 *  sortRows: rank sort. Under the total order of common/sort_scan_ops.h (NaN
 *    largest, ties in input order) each element's output position is the
 *    number of elements of its row that sort before it, so one thread per
 *    element counts them, reading the row through shared-memory tiles, and
 *    writes itself there when that rank is below k. O(cols^2) per row: simple
 *    and exact (the same unique result as the CPU's std::sort), fine for rows
 *    of a few thousand; long rows (a vocabulary) are slow. For top-k a block
 *    stops as soon as all its elements rank k or more.
 *  cumsum: one thread per line of contiguous [outer, n, inner], summing in
 *    index order (double for floats, int64 for integers) as the CPU does.
 */
#include <cuda_runtime.h>

#include <algorithm>
#include <type_traits>

#include "common/sort_scan_ops.h"
#include "cuda/device_utils.cuh"
#include "cuda/kernels.h"

namespace nt {
namespace cuda {
namespace {

// Block-uniform loops only (base and t0), so every thread reaches each barrier.
template <typename T>
__global__ void sortRankKernel(SortRowsArgs a, T* values, int64_t* indices, const T* in) {
  __shared__ T tile[kThreads];
  const int64_t cols = a.cols, k = a.k;
  for (int64_t r = blockIdx.y; r < a.rows; r += gridDim.y) {
    const T* row = in + r * cols;
    for (int64_t base = int64_t(blockIdx.x) * blockDim.x; base < cols; base += int64_t(gridDim.x) * blockDim.x) {
      const int64_t i = base + threadIdx.x;
      const bool active = i < cols;
      const T x = active ? row[i] : T(0);
      int64_t rank = 0;
      for (int64_t t0 = 0; t0 < cols; t0 += blockDim.x) {
        __syncthreads();
        if (t0 + threadIdx.x < cols) tile[threadIdx.x] = row[t0 + threadIdx.x];
        __syncthreads();
        const int64_t m = cols - t0 < int64_t(blockDim.x) ? cols - t0 : int64_t(blockDim.x);
        if (active)
          for (int64_t j = 0; j < m; ++j) rank += sortscan::sortsBefore(tile[j], t0 + j, x, i, a.descending) ? 1 : 0;
        // Once no element of the block can still rank below k, none is written: stop (top-k, k << cols).
        if (!__syncthreads_or(active && rank < k)) break;
      }
      if (active && rank < k) {
        values[r * k + rank] = x;
        indices[r * k + rank] = i;
      }
    }
  }
}

template <typename T>
__global__ void cumsumKernel(CumsumArgs a, T* out, const T* in) {
  using Acc = typename std::conditional<std::is_floating_point<T>::value, double, int64_t>::type;
  const int64_t lines = a.outer * a.inner, n = a.n, inner = a.inner;
  const int64_t step = int64_t(gridDim.x) * blockDim.x;
  for (int64_t line = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; line < lines; line += step) {
    const int64_t o = line / inner, i = line % inner;
    const T* src = in + o * n * inner + i;
    T* dst = out + o * n * inner + i;
    Acc acc = 0;
    for (int64_t s = 0; s < n; ++s) {
      const int64_t j = a.reverse ? n - 1 - s : s;
      acc += static_cast<Acc>(src[j * inner]);
      dst[j * inner] = castValue<T>(acc);
    }
  }
}

}  // namespace

void launchSortRows(const Ctx& c, const SortRowsArgs& a) {
  if (a.rows == 0 || a.k == 0) return;
  const dim3 grid(gridFor(a.cols, kThreads, 1 << 16), static_cast<unsigned>(std::min<int64_t>(a.rows, 65535)));
  NT_DISPATCH_ALL(a.dtype, [&] {
    sortRankKernel<T><<<grid, kThreads, 0, c.stream>>>(a, static_cast<T*>(a.values), static_cast<int64_t*>(a.indices),
                                                       static_cast<const T*>(a.in));
    checkLaunch("sort");
  });
}

void launchCumsum(const Ctx& c, const CumsumArgs& a) {
  const int64_t lines = a.outer * a.inner;
  if (lines == 0 || a.n == 0) return;
  NT_DISPATCH_ALL(a.dtype, [&] {
    cumsumKernel<T>
        <<<gridFor(lines, kThreads), kThreads, 0, c.stream>>>(a, static_cast<T*>(a.out), static_cast<const T*>(a.in));
    checkLaunch("cumsum");
  });
}

}  // namespace cuda
}  // namespace nt
