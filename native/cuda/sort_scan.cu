/*
 * Sorting and scanning along rows on the device, the twins of
 * cpu/sort_scan.cpp.
 *  sortRows: bitonic sort of each row padded to a power of two P, under the
 *    total order of common/sort_scan_ops.h (NaN largest, ties in input order,
 *    padding after everything), so the result is the unique one the CPU's
 *    std::sort gives. Rows of up to kSharedSortMax elements sort in shared
 *    memory, one block per row; longer rows (a vocabulary) sort in a
 *    workspace from the caching allocator, one launch per network stage.
 *    O(P log^2 P) per row either way; the first k of each row are written.
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

constexpr int kSharedSortMax = 2048;  // P * (sizeof(T) + 4) <= 24 KiB of shared memory
constexpr int kSortThreads = 1024;

// Whether (a at i) comes before (b at j); positions at or past cols are padding, last of all.
template <typename T>
__device__ bool paddedBefore(T a, int64_t i, T b, int64_t j, int64_t cols, bool descending) {
  const bool padI = i >= cols, padJ = j >= cols;
  if (padI || padJ) return padI == padJ ? i < j : padJ;
  return sortscan::sortsBefore(a, i, b, j, descending);
}

// The lower position of pair q at stage (size, stride) of the bitonic network; its partner is lo + stride.
__device__ inline int64_t pairLow(int64_t q, int64_t stride) { return 2 * stride * (q / stride) + q % stride; }

// One compare-exchange: after it the pair is in order (ascending unless its size-block runs downward).
template <typename T, typename I>
__device__ void compareExchange(T* key, I* idx, int64_t lo, int64_t stride, int64_t size, int64_t cols,
                                bool descending) {
  const int64_t hi = lo + stride;
  const bool hiFirst = paddedBefore(key[hi], int64_t(idx[hi]), key[lo], int64_t(idx[lo]), cols, descending);
  if (hiFirst == ((lo & size) == 0)) {
    const T k = key[lo];
    key[lo] = key[hi];
    key[hi] = k;
    const I t = idx[lo];
    idx[lo] = idx[hi];
    idx[hi] = t;
  }
}

// One block per row (grid-stride over rows): the whole network in shared memory. Block-uniform loops only.
template <typename T>
__global__ void sortSharedKernel(SortRowsArgs a, int P, T* values, int64_t* indices, const T* in) {
  extern __shared__ double sortSmem[];  // double: aligned for every T
  T* key = reinterpret_cast<T*>(sortSmem);
  int* idx = reinterpret_cast<int*>(key + P);  // P >= 4, so P * sizeof(T) keeps int alignment
  const int64_t cols = a.cols;
  for (int64_t r = blockIdx.x; r < a.rows; r += gridDim.x) {
    const T* row = in + r * cols;
    for (int p = threadIdx.x; p < P; p += blockDim.x) {
      key[p] = p < cols ? row[p] : T(0);
      idx[p] = p;
    }
    __syncthreads();
    for (int size = 2; size <= P; size <<= 1)
      for (int stride = size >> 1; stride > 0; stride >>= 1) {
        for (int q = threadIdx.x; q < P / 2; q += blockDim.x)
          compareExchange(key, idx, pairLow(q, stride), stride, size, cols, a.descending);
        __syncthreads();
      }
    for (int64_t p = threadIdx.x; p < a.k; p += blockDim.x) {
      values[r * a.k + p] = key[p];
      indices[r * a.k + p] = idx[p];
    }
    __syncthreads();
  }
}

// Rows [0, rows) of the workspace: load (padding included).
template <typename T>
__global__ void sortLoadKernel(int64_t rows, int64_t cols, int64_t P, const T* in, T* key, int64_t* idx) {
  const int64_t n = rows * P;
  for (int64_t t = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; t < n; t += int64_t(gridDim.x) * blockDim.x) {
    const int64_t r = t / P, p = t % P;
    key[t] = p < cols ? in[r * cols + p] : T(0);
    idx[t] = p;
  }
}

// One stage (size, stride) of the network over every row of the workspace.
template <typename T>
__global__ void sortStageKernel(int64_t rows, int64_t cols, int64_t P, int64_t size, int64_t stride, bool descending,
                                T* key, int64_t* idx) {
  const int64_t half = P / 2, n = rows * half;
  for (int64_t t = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; t < n; t += int64_t(gridDim.x) * blockDim.x) {
    const int64_t r = t / half;
    compareExchange(key + r * P, idx + r * P, pairLow(t % half, stride), stride, size, cols, descending);
  }
}

// The first k of each sorted workspace row to the outputs.
template <typename T>
__global__ void sortStoreKernel(int64_t rows, int64_t P, int64_t k, const T* key, const int64_t* idx, T* values,
                                int64_t* indices) {
  const int64_t n = rows * k;
  for (int64_t t = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; t < n; t += int64_t(gridDim.x) * blockDim.x) {
    const int64_t r = t / k, p = t % k;
    values[t] = key[r * P + p];
    indices[t] = idx[r * P + p];
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
  int64_t P = 4;
  while (P < a.cols) P <<= 1;
  NT_DISPATCH_ALL(a.dtype, [&] {
    T* values = static_cast<T*>(a.values);
    int64_t* indices = static_cast<int64_t*>(a.indices);
    const T* in = static_cast<const T*>(a.in);
    if (P <= kSharedSortMax) {
      const size_t smem = size_t(P) * (sizeof(T) + sizeof(int));
      const unsigned grid = static_cast<unsigned>(std::min<int64_t>(a.rows, 1 << 16));
      sortSharedKernel<T><<<grid, kSortThreads, smem, c.stream>>>(a, int(P), values, indices, in);
      checkLaunch("sort");
      return;
    }
    // Rows in chunks whose workspace stays under 256 MiB.
    const int64_t perRow = P * int64_t(sizeof(T) + sizeof(int64_t));
    const int64_t chunk = std::max<int64_t>(1, std::min<int64_t>(a.rows, (int64_t(256) << 20) / perRow));
    TempBuffer keys(*c.alloc, size_t(chunk * P) * sizeof(T));
    TempBuffer idx(*c.alloc, size_t(chunk * P) * sizeof(int64_t));
    T* key = static_cast<T*>(keys.get());
    int64_t* ix = static_cast<int64_t*>(idx.get());
    for (int64_t r0 = 0; r0 < a.rows; r0 += chunk) {
      const int64_t rows = std::min(chunk, a.rows - r0);
      sortLoadKernel<T>
          <<<gridFor(rows * P, kThreads), kThreads, 0, c.stream>>>(rows, a.cols, P, in + r0 * a.cols, key, ix);
      checkLaunch("sort");
      for (int64_t size = 2; size <= P; size <<= 1)
        for (int64_t stride = size >> 1; stride > 0; stride >>= 1) {
          sortStageKernel<T><<<gridFor(rows * P / 2, kThreads), kThreads, 0, c.stream>>>(rows, a.cols, P, size, stride,
                                                                                         a.descending, key, ix);
          checkLaunch("sort");
        }
      sortStoreKernel<T><<<gridFor(rows * a.k, kThreads), kThreads, 0, c.stream>>>(
          rows, P, a.k, key, ix, values + r0 * a.k, indices + r0 * a.k);
      checkLaunch("sort");
    }
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
