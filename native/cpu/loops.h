// Shared helpers of the CPU kernels: strided N-d iteration with coalesced
// dims, value casts with defined results, and the work grain sizes.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "common/arith.h"
#include "common/cast.h"
#include "common/coalesce.h"
#include "common/kernel_api.h"
#include "cpu/parallel.h"

namespace nt {
namespace cpu {

// Elements per parallel chunk below which a kernel stays serial: thread
// wake-up costs a few microseconds, about what 32K simple elements take.
constexpr int64_t kGrain = 32768;

// Bool is stored as uint8_t like UInt8 but converts as (x != 0).
struct BoolTag {};

// castValue (common/cast.h): float -> int saturates (NaN -> 0), Bool is
// handled by callers as (x != 0), int -> int wraps.

// Wrapping integer arithmetic, shared with CUDA (common/arith.h).
using scalar::wrapAdd;
using scalar::wrapMul;
using scalar::wrapSub;

// A strided iteration space, coalesced (common/coalesce.h) so a contiguous
// tensor is one flat dim. Strides are in bytes; dim ndim-1 is the inner
// (fastest) dim.
template <int K>
struct Loop {
  int ndim = 1;
  int64_t sizes[kMaxDims] = {1};
  int64_t strides[K][kMaxDims] = {};
  char* base[K] = {};
  int64_t numel = 1;
};

template <int K>
Loop<K> makeLoop(const Shape& shape, const Operand* const ops[K]) {
  const int64_t* strides[K];
  for (int k = 0; k < K; ++k) strides[k] = ops[k]->strides;
  const Coalesced<K> c = coalesce<K>(shape, strides);
  Loop<K> L;
  L.ndim = c.ndim;
  L.numel = c.numel;
  for (int d = 0; d < c.ndim; ++d) L.sizes[d] = c.sizes[d];
  for (int k = 0; k < K; ++k) {
    L.base[k] = static_cast<char*>(ops[k]->data);
    const int64_t bytes = static_cast<int64_t>(dtypeSize(ops[k]->dtype));
    for (int d = 0; d < c.ndim; ++d) L.strides[k][d] = c.strides[k][d] * bytes;
  }
  return L;
}

// Calls f(ptrs, innerStrides, n) for each run of the inner dim inside the
// flat element range [lo, hi).
template <int K, class F>
void forRange(const Loop<K>& L, int64_t lo, int64_t hi, F&& f) {
  if (lo >= hi) return;
  const int nd = L.ndim, in = nd - 1;
  int64_t idx[kMaxDims];
  char* p[K];
  int64_t rest = lo;
  for (int d = nd - 1; d >= 0; --d) {
    idx[d] = rest % L.sizes[d];
    rest /= L.sizes[d];
  }
  for (int k = 0; k < K; ++k) {
    p[k] = L.base[k];
    for (int d = 0; d < nd; ++d) p[k] += idx[d] * L.strides[k][d];
  }
  int64_t innerStride[K];
  for (int k = 0; k < K; ++k) innerStride[k] = L.strides[k][in];
  int64_t pos = lo;
  while (pos < hi) {
    const int64_t n = std::min(L.sizes[in] - idx[in], hi - pos);
    f(p, innerStride, n);
    pos += n;
    if (pos >= hi) break;
    // Advance to the start of the next run, carrying into outer dims.
    // The run ended at the end of the inner dim: rewind it to index 0.
    for (int k = 0; k < K; ++k) p[k] -= idx[in] * innerStride[k];
    idx[in] = 0;
    for (int d = in - 1; d >= 0; --d) {
      for (int k = 0; k < K; ++k) p[k] += L.strides[k][d];
      if (++idx[d] < L.sizes[d]) break;
      for (int k = 0; k < K; ++k) p[k] -= L.sizes[d] * L.strides[k][d];
      idx[d] = 0;
    }
  }
}

// Runs forRange over the whole loop, in parallel when it is large.
template <int K, class F>
void forEachRun(const Loop<K>& L, F&& f) {
  parallelFor(0, L.numel, kGrain, [&](int64_t lo, int64_t hi) { forRange(L, lo, hi, f); });
}

}  // namespace cpu
}  // namespace nt
