/*
 * Index kernels: the index check, indexSelect, indexAdd, gather, scatterAdd.
 * Index values are checked by a small kernel queued before each op, without
 * waiting for it: a bad value is recorded on the device and raised as
 * IndexError at the next synchronization point (as PyTorch's device-side
 * assertions are), while the op's kernel skips it so nothing is read or
 * written out of bounds. The CPU raises at once. Selects and
 * gathers move raw bytes (one instantiation per element width); the adds
 * use atomicAdd, so with duplicate indices the float summation order (and
 * the last bits of the result) can vary from run to run.
 */
#include <cuda_runtime.h>

#include <mutex>

#include "cuda/device_utils.cuh"
#include "cuda/kernels.h"

namespace nt {
namespace cuda {
namespace {

template <typename T>
__device__ __forceinline__ void atomicAddT(T* p, T v) {
  if constexpr (std::is_same<T, float>::value || std::is_same<T, double>::value) {
    atomicAdd(p, v);
  } else if constexpr (std::is_same<T, int32_t>::value) {
    atomicAdd(reinterpret_cast<int*>(p), static_cast<int>(v));
  } else if constexpr (sizeof(T) == 8) {  // int64: two's complement add on the raw bits
    atomicAdd(reinterpret_cast<unsigned long long*>(p), static_cast<unsigned long long>(v));
  } else {  // uint8: CAS on the aligned word holding the byte
    const uintptr_t addr = reinterpret_cast<uintptr_t>(p);
    unsigned* word = reinterpret_cast<unsigned*>(addr & ~uintptr_t(3));
    const unsigned shift = unsigned(addr & 3) * 8;
    unsigned old = *word, assumed;
    do {
      assumed = old;
      const unsigned byte = ((assumed >> shift) + unsigned(v)) & 0xFFu;
      old = atomicCAS(word, assumed, (assumed & ~(0xFFu << shift)) | (byte << shift));
    } while (assumed != old);
  }
}

// flag = min position j with index[j] outside [0, size) (and != ignore).
template <typename I>
__global__ void checkIndexKernel(const I* idx, int64_t n, int64_t size, bool hasIgnore, int64_t ignore, int64_t* flag) {
  const int64_t step = int64_t(gridDim.x) * blockDim.x;
  for (int64_t j = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; j < n; j += step) {
    if (isBadIndex(static_cast<int64_t>(idx[j]), size, hasIgnore, ignore)) raiseIndexError(flag, j);
  }
}

// One thread: moves this launch's flag into the record (first error wins)
// and resets the flag for the next check.
template <typename I>
__global__ void commitIndexKernel(const I* idx, int64_t size, IndexErrorOp op, int64_t dim, int64_t* flag,
                                  IndexErrorRecord* rec) {
  const int64_t pos = *flag;
  if (pos == kNoBadIndex) return;
  *flag = kNoBadIndex;
  commitIndexError(rec, pos, static_cast<int64_t>(idx[pos]), size, op, dim);
}

// out[o, j, i] = in[o, index[j], i]; out [outer, nIndex, inner], in [outer, dimSize, inner]
template <typename W, typename I>
__global__ void indexSelectKernel(int64_t outer, int64_t dimSize, int64_t inner, int64_t nIndex, W* out, const W* in,
                                  const I* idx) {
  const int64_t n = outer * nIndex * inner;
  const int64_t step = int64_t(gridDim.x) * blockDim.x;
  for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < n; e += step) {
    const int64_t i = e % inner, t = e / inner;
    const int64_t j = t % nIndex, o = t / nIndex;
    const int64_t v = static_cast<int64_t>(idx[j]);
    if (v < 0 || v >= dimSize) continue;  // recorded by the check kernel; keeps reads in bounds
    out[e] = in[(o * dimSize + v) * inner + i];
  }
}

// out[o, index[j], i] += src[o, j, i]; src [outer, nIndex, inner], out [outer, dimSize, inner]
template <typename T, typename I>
__global__ void indexAddKernel(int64_t outer, int64_t dimSize, int64_t inner, int64_t nIndex, T* out, const T* src,
                               const I* idx) {
  const int64_t n = outer * nIndex * inner;
  const int64_t step = int64_t(gridDim.x) * blockDim.x;
  for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < n; e += step) {
    const int64_t i = e % inner, t = e / inner;
    const int64_t j = t % nIndex, o = t / nIndex;
    const int64_t v = static_cast<int64_t>(idx[j]);
    if (v < 0 || v >= dimSize) continue;
    atomicAddT(out + (o * dimSize + v) * inner + i, src[e]);
  }
}

// Index shape and the contiguous strides of the "self" tensor (in for
// gather, out for scatterAdd).
struct GatherGeom {
  int ndim, dim;
  int64_t sizes[kMaxDims];
  int64_t selfStrides[kMaxDims];
  int64_t dimSize;
};

// Offset in self of index element e, without the `dim` term.
__device__ __forceinline__ int64_t selfOffset(const GatherGeom& g, int64_t e) {
  int64_t off = 0;
#pragma unroll
  for (int d = kMaxDims - 1; d >= 0; --d) {
    if (d < g.ndim) {
      const int64_t sz = g.sizes[d];
      const int64_t c = e % sz;
      e /= sz;
      if (d != g.dim) off += c * g.selfStrides[d];
    }
  }
  return off;
}

// out[e] = in[offset of e with coordinate dim := index[e]]; out, index: shape
template <typename W, typename I>
__global__ void gatherKernel(GatherGeom g, int64_t n, W* out, const W* in, const I* idx) {
  const int64_t step = int64_t(gridDim.x) * blockDim.x;
  for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < n; e += step) {
    const int64_t v = static_cast<int64_t>(idx[e]);
    if (v < 0 || v >= g.dimSize) continue;
    out[e] = in[selfOffset(g, e) + v * g.selfStrides[g.dim]];
  }
}

// out[offset of e with coordinate dim := index[e]] += src[e]; src, index: shape
template <typename T, typename I>
__global__ void scatterAddKernel(GatherGeom g, int64_t n, T* out, const T* src, const I* idx) {
  const int64_t step = int64_t(gridDim.x) * blockDim.x;
  for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < n; e += step) {
    const int64_t v = static_cast<int64_t>(idx[e]);
    if (v < 0 || v >= g.dimSize) continue;
    atomicAddT(out + selfOffset(g, e) + v * g.selfStrides[g.dim], src[e]);
  }
}

GatherGeom gatherGeom(const GatherArgs& a) {
  GatherGeom g{};
  g.ndim = a.shape.ndim;
  g.dim = a.dim;
  int64_t s = 1;
  for (int d = a.selfShape.ndim - 1; d >= 0; --d) {
    g.selfStrides[d] = s;
    s *= a.selfShape.sizes[d];
  }
  for (int d = 0; d < a.shape.ndim; ++d) g.sizes[d] = a.shape.sizes[d];
  g.dimSize = a.selfShape.sizes[a.dim];
  return g;
}

// Calls f(W) with W an unsigned type of the element width.
template <typename F>
void byWidth(DType dt, F f) {
  switch (dtypeSize(dt)) {
    case 1: return f(uint8_t{});
    case 4: return f(uint32_t{});
    default: return f(uint64_t{});
  }
}

}  // namespace

void queueIndexCheck(const Ctx& c, const void* index, DType indexDtype, int64_t n, int64_t size, const int64_t* ignore,
                     IndexErrorOp op, int64_t dim) {
  if (n <= 0) return;
  std::lock_guard<std::mutex> lock(*c.errFlagMutex);
  NT_DISPATCH_INDEX(indexDtype, "index check", [&] {
    const I* idx = static_cast<const I*>(index);
    checkIndexKernel<I><<<gridFor(n, kThreads), kThreads, 0, c.stream>>>(idx, n, size, ignore != nullptr,
                                                                         ignore ? *ignore : 0, c.errFlag);
    checkLaunch("index check");
    commitIndexKernel<I><<<1, 1, 0, c.stream>>>(idx, size, op, dim, c.errFlag, c.errRecord);
    checkLaunch("index check: commit");
  });
}

void takeIndexError(const Ctx& c) {
  // Pageable destination: the copy returns once it and all earlier work on
  // the stream are done, so it doubles as the synchronization.
  IndexErrorRecord r;
  check(cudaMemcpyAsync(&r, c.errRecord, sizeof r, cudaMemcpyDeviceToHost, c.stream), "index check: cudaMemcpyAsync");
  check(cudaStreamSynchronize(c.stream), "index check: cudaStreamSynchronize");
  if (r.pos < 0) return;
  {
    std::lock_guard<std::mutex> lock(*c.errFlagMutex);
    check(cudaMemsetAsync(c.errRecord, 0xFF, sizeof(IndexErrorRecord), c.stream), "index check: cudaMemsetAsync");
  }
  throw Error(ErrorKind::Index, indexErrorMessage(r));
}

void launchIndexSelect(const Ctx& c, const IndexSelectArgs& a) {
  const int64_t n = a.outer * a.nIndex * a.inner;
  if (n == 0) return;
  byWidth(a.dtype, [&](auto w) {
    using W = decltype(w);
    NT_DISPATCH_INDEX(a.indexDtype, "index_select", [&] {
      indexSelectKernel<W, I><<<gridFor(n, kThreads), kThreads, 0, c.stream>>>(
          a.outer, a.dimSize, a.inner, a.nIndex, static_cast<W*>(a.out), static_cast<const W*>(a.in),
          static_cast<const I*>(a.index));
      checkLaunch("index_select");
    });
  });
}

void launchIndexAdd(const Ctx& c, const IndexAddArgs& a) {
  const int64_t n = a.outer * a.nIndex * a.inner;
  if (n == 0) return;
  NT_DISPATCH_ALL(a.dtype, [&] {
    NT_DISPATCH_INDEX(a.indexDtype, "index_add", [&] {
      indexAddKernel<T, I><<<gridFor(n, kThreads), kThreads, 0, c.stream>>>(
          a.outer, a.dimSize, a.inner, a.nIndex, static_cast<T*>(a.out), static_cast<const T*>(a.src),
          static_cast<const I*>(a.index));
      checkLaunch("index_add");
    });
  });
}

void launchGather(const Ctx& c, const GatherArgs& a) {
  const int64_t n = a.shape.numel();
  if (n == 0) return;
  const GatherGeom g = gatherGeom(a);
  byWidth(a.dtype, [&](auto w) {
    using W = decltype(w);
    NT_DISPATCH_INDEX(a.indexDtype, "gather", [&] {
      gatherKernel<W, I><<<gridFor(n, kThreads), kThreads, 0, c.stream>>>(
          g, n, static_cast<W*>(a.out), static_cast<const W*>(a.in), static_cast<const I*>(a.index));
      checkLaunch("gather");
    });
  });
}

void launchScatterAdd(const Ctx& c, const GatherArgs& a) {
  const int64_t n = a.shape.numel();
  if (n == 0) return;
  const GatherGeom g = gatherGeom(a);
  NT_DISPATCH_ALL(a.dtype, [&] {
    NT_DISPATCH_INDEX(a.indexDtype, "scatter_add", [&] {
      scatterAddKernel<T, I><<<gridFor(n, kThreads), kThreads, 0, c.stream>>>(
          g, n, static_cast<T*>(a.out), static_cast<const T*>(a.in), static_cast<const I*>(a.index));
      checkLaunch("scatter_add");
    });
  });
}

}  // namespace cuda
}  // namespace nt
