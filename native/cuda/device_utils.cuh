// Helpers shared by the .cu files: strided index packs, launch sizes, warp /
// row reductions of arbitrary small structs, the device error flag.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

#include "common/cast.h"
#include "common/coalesce.h"
#include "common/kernel_api.h"
#include "cuda/cuda_check.h"

namespace nt {
namespace cuda {

constexpr int kThreads = 256;

// Blocks for n items at `per` items per block, capped (kernels grid-stride).
inline unsigned gridFor(int64_t n, int64_t per, int64_t cap = 1 << 20) {
  int64_t b = (n + per - 1) / per;
  if (b < 1) b = 1;
  if (b > cap) b = cap;
  return static_cast<unsigned>(b);
}

inline int nextPow2(int64_t v, int lo, int hi) {
  int p = lo;
  while (p < v && p < hi) p <<= 1;
  return p;
}

// Row-wise kernels (softmax, layer norm): tx threads along a row (a power of
// two from 32 to 1024), ty rows per block of about 256 threads.
struct RowGeom {
  int tx, ty;
  unsigned blocks;
};

inline RowGeom rowGeom(int64_t rows, int64_t cols) {
  RowGeom g;
  g.tx = nextPow2(cols, 32, 1024);
  g.ty = g.tx >= 256 ? 1 : 256 / g.tx;
  g.blocks = gridFor(rows, g.ty, 1 << 16);
  return g;
}

// Sizes and per-operand strides of an N-operand strided iteration, stored
// innermost dim first. Passed to kernels by value.
template <int N>
struct StridedPack {
  int ndim;
  bool use32;  // every index and offset fits 32 bits: cheaper divisions
  int64_t sizes[kMaxDims];
  int64_t strides[N][kMaxDims];
};

// Builds a pack from a row-major shape and N stride arrays, coalesced
// (common/coalesce.h) so most tensors end up 1-D.
template <int N>
StridedPack<N> makePack(const Shape& shape, const int64_t* const* strides) {
  const Coalesced<N> c = coalesce<N>(shape, strides);
  StridedPack<N> p{};
  p.ndim = c.ndim;
  for (int d = 0; d < c.ndim; ++d) {  // the pack is innermost first
    const int r = c.ndim - 1 - d;
    p.sizes[d] = c.sizes[r];
    for (int k = 0; k < N; ++k) p.strides[k][d] = c.strides[k][r];
  }
  bool small = c.numel < (int64_t(1) << 31);
  for (int k = 0; k < N; ++k) {
    int64_t maxOff = 0;
    for (int d = 0; d < c.ndim; ++d) maxOff += (c.sizes[d] > 0 ? c.sizes[d] - 1 : 0) * c.strides[k][d];
    small = small && maxOff < (int64_t(1) << 31);
  }
  p.use32 = small;
  return p;
}

// Element offsets of linear index i (row-major over the original shape).
// Unrolled with constant indices so the pack stays in parameter space.
template <int N>
__device__ __forceinline__ void packOffsets(const StridedPack<N>& p, int64_t i, int64_t (&off)[N]) {
#pragma unroll
  for (int k = 0; k < N; ++k) off[k] = 0;
  if (p.ndim == 1) {
#pragma unroll
    for (int k = 0; k < N; ++k) off[k] = i * p.strides[k][0];
    return;
  }
  if (p.use32) {
    uint32_t r = static_cast<uint32_t>(i);
#pragma unroll
    for (int d = 0; d < kMaxDims; ++d) {
      if (d == p.ndim) break;
      const uint32_t sz = static_cast<uint32_t>(p.sizes[d]);
      const uint32_t q = r / sz, c = r - q * sz;
      r = q;
#pragma unroll
      for (int k = 0; k < N; ++k) off[k] += static_cast<int64_t>(c) * p.strides[k][d];
    }
  } else {
#pragma unroll
    for (int d = 0; d < kMaxDims; ++d) {
      if (d == p.ndim) break;
      const int64_t sz = p.sizes[d];
      const int64_t q = i / sz, c = i - q * sz;
      i = q;
#pragma unroll
      for (int k = 0; k < N; ++k) off[k] += c * p.strides[k][d];
    }
  }
}

// Shuffle of any trivially copyable struct, word by word.
template <typename S>
__device__ __forceinline__ S shflXor(const S& s, int mask) {
  constexpr int W = (sizeof(S) + 3) / 4;
  int w[W];
  memcpy(w, &s, sizeof(S));
#pragma unroll
  for (int k = 0; k < W; ++k) w[k] = __shfl_xor_sync(0xffffffffu, w[k], mask);
  S r;
  memcpy(&r, w, sizeof(S));
  return r;
}

template <typename S>
__device__ __forceinline__ S shflIdx(const S& s, int src) {
  constexpr int W = (sizeof(S) + 3) / 4;
  int w[W];
  memcpy(w, &s, sizeof(S));
#pragma unroll
  for (int k = 0; k < W; ++k) w[k] = __shfl_sync(0xffffffffu, w[k], src);
  S r;
  memcpy(&r, w, sizeof(S));
  return r;
}

// Reduces `s` over the blockDim.x threads of each row group (blockDim.x a
// power of two >= 32, <= 1024); every thread of the group gets the result.
// `shm` needs blockDim.y * 32 entries. Contains __syncthreads: all threads
// of the block must call it.
template <typename S, typename Combine>
__device__ S rowReduce(S s, Combine combine, S* shm) {
#pragma unroll
  for (int m = 16; m >= 1; m >>= 1) s = combine(s, shflXor(s, m));
  if (blockDim.x == 32) return s;
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, nw = blockDim.x >> 5;
  S* row = shm + threadIdx.y * 32;
  __syncthreads();  // shm may still be read by a previous call
  if (lane == 0) row[warp] = s;
  __syncthreads();
  // Lanes < nw reduce the nw partials among themselves (l ^ m < nw for
  // m < nw); lane 0's result is then broadcast to the whole warp.
  S t = row[lane < nw ? lane : 0];
  for (int m = 1; m < nw; m <<= 1) t = combine(t, shflXor(t, m));
  return shflIdx(t, 0);
}

// Online log-sum-exp state: running max m and sum s of exp(x - m).
template <typename T>
struct Lse {
  T m, s;
};
template <typename T>
__device__ __forceinline__ Lse<T> lseInit() {
  return {T(-INFINITY), T(0)};
}
template <typename T>
__device__ __forceinline__ void lseAdd(Lse<T>& st, T x) {
  if (x == T(-INFINITY)) return;  // contributes exp(-inf) = 0; avoids inf - inf
  if (x > st.m) {
    st.s = st.s * exp(st.m - x) + T(1);
    st.m = x;
  } else {
    st.s += x == st.m ? T(1) : exp(x - st.m);  // +inf twice stays finite; NaN x makes s NaN
  }
}
template <typename T>
__device__ __forceinline__ Lse<T> lseCombine(const Lse<T>& a, const Lse<T>& b) {
  if (a.m == T(-INFINITY) && a.s == T(0)) return b;  // empty (a NaN s is kept)
  if (b.m == T(-INFINITY) && b.s == T(0)) return a;
  const T m = a.m > b.m ? a.m : b.m;
  return {m, (a.m == m ? a.s : a.s * exp(a.m - m)) + (b.m == m ? b.s : b.s * exp(b.m - m))};
}
template <typename T>
__device__ __forceinline__ T lseValue(const Lse<T>& st) {
  return st.s == T(0) ? T(-INFINITY) : st.m + log(st.s);
}

template <typename T, int V>
struct alignas(sizeof(T) * V) Vec {
  T v[V];
};

inline bool aligned16(const void* p) { return (reinterpret_cast<uintptr_t>(p) & 15) == 0; }

// The device error flag holds the lowest position of a bad index value;
// cudaMemsetAsync(0x7F) resets it to kNoBadIndex.
constexpr int64_t kNoBadIndex = 0x7F7F7F7F7F7F7F7FLL;
__device__ __forceinline__ void raiseIndexError(int64_t* flag, int64_t pos) {
  atomicMin(reinterpret_cast<unsigned long long*>(flag), static_cast<unsigned long long>(pos));
}

}  // namespace cuda
}  // namespace nt
