/*
 * Elementwise kernels: fill, copy (with dtype cast), arange, unary, binary,
 * where. Every op runs over a StridedPack (any non-negative strides, up to 8
 * dims, coalesced on the host so most tensors become 1-D); when every
 * operand is contiguous and 16-byte aligned a vectorized path loads and
 * stores 16 bytes per thread. The op code is a run-time switch inside the
 * kernel (uniform over the grid, so it costs no divergence) to keep the
 * number of instantiations, and the 8-architecture build time, small.
 * The switch is generated from the op enum (common/op_visit.h) and every
 * op's formula and accepted dtypes come from common/elementwise_ops.h,
 * shared with the CPU loops: this file names no unary/binary op.
 */
#include <cuda_runtime.h>

#include <cmath>
#include <limits>
#include <string>
#include <type_traits>

#include "common/codes.gen.h"
#include "common/elementwise_check.h"
#include "common/elementwise_ops.h"
#include "common/op_visit.h"
#include "cuda/device_utils.cuh"
#include "cuda/kernels.h"

namespace nt {
namespace cuda {
namespace {

// ---- ops by run-time code -------------------------------------------------
// The op code is uniform over the grid; the visit is a short compare tree.
// Ops a dtype does not accept are rejected on the host (ew::check*) before
// launch, so their (empty) branches are never taken.

template <typename T>
__device__ __forceinline__ T applyUnary(UnaryOp op, T x, const ew::UnaryParams<T>& q) {
  T r = x;
  visitOp(op, [&](auto k) {
    using F = ew::UnaryFormula<decltype(k)::value>;
    if constexpr (ew::inDomain<T>(F::kDomain)) r = F::template apply<T>(x, q);
  });
  return r;
}

// Arithmetic binary ops (output dtype == input dtype); alpha converted to T.
template <typename T>
__device__ __forceinline__ T applyBinary(BinaryOp op, T a, T b, T alpha) {
  T r = a;
  visitOp(op, [&](auto k) {
    using F = ew::BinaryFormula<decltype(k)::value>;
    if constexpr (F::kDomain != ew::Domain::Compare && ew::inDomain<T>(F::kDomain))
      r = F::template apply<T>(a, b, alpha);
  });
  return r;
}

// Comparison and logical ops: Bool (uint8) output.
template <typename T>
__device__ __forceinline__ uint8_t applyCompare(BinaryOp op, T a, T b) {
  uint8_t r = 0;
  visitOp(op, [&](auto k) {
    using F = ew::BinaryFormula<decltype(k)::value>;
    if constexpr (F::kDomain == ew::Domain::Compare) r = F::template apply<T>(a, b, T(0));
  });
  return r;
}

// ---- functors: operator()(offsets) for strided, vec<V>(i) for contiguous -

template <typename T>
struct FillF {
  T* out;
  T value;
  __device__ void operator()(const int64_t (&o)[1]) const { out[o[0]] = value; }
  template <int V>
  __device__ void vec(int64_t i) const {
    Vec<T, V> y;
#pragma unroll
    for (int j = 0; j < V; ++j) y.v[j] = value;
    *reinterpret_cast<Vec<T, V>*>(out + i) = y;
  }
};

template <typename Ti, typename To, bool kToBool>
struct CopyF {
  To* out;
  const Ti* in;
  __device__ void operator()(const int64_t (&o)[2]) const {
    const Ti x = in[o[1]];
    if constexpr (kToBool) out[o[0]] = To(x != Ti(0));
    else out[o[0]] = castValue<To>(x);
  }
};

template <typename T>
struct UnaryF {
  UnaryOp op;
  T* out;
  const T* in;
  ew::UnaryParams<T> q;
  __device__ void operator()(const int64_t (&o)[2]) const { out[o[0]] = applyUnary(op, in[o[1]], q); }
  template <int V>
  __device__ void vec(int64_t i) const {
    Vec<T, V> x = *reinterpret_cast<const Vec<T, V>*>(in + i);
#pragma unroll
    for (int j = 0; j < V; ++j) x.v[j] = applyUnary(op, x.v[j], q);
    *reinterpret_cast<Vec<T, V>*>(out + i) = x;
  }
};

template <typename T>
struct BinaryF {
  BinaryOp op;
  T* out;
  const T* a;
  const T* b;
  T alpha;
  __device__ void operator()(const int64_t (&o)[3]) const { out[o[0]] = applyBinary(op, a[o[1]], b[o[2]], alpha); }
  template <int V>
  __device__ void vec(int64_t i) const {
    Vec<T, V> x = *reinterpret_cast<const Vec<T, V>*>(a + i);
    const Vec<T, V> y = *reinterpret_cast<const Vec<T, V>*>(b + i);
#pragma unroll
    for (int j = 0; j < V; ++j) x.v[j] = applyBinary(op, x.v[j], y.v[j], alpha);
    *reinterpret_cast<Vec<T, V>*>(out + i) = x;
  }
};

template <typename T>
struct CompareF {
  BinaryOp op;
  uint8_t* out;
  const T* a;
  const T* b;
  __device__ void operator()(const int64_t (&o)[3]) const { out[o[0]] = applyCompare(op, a[o[1]], b[o[2]]); }
  template <int V>
  __device__ void vec(int64_t i) const {
    const Vec<T, V> x = *reinterpret_cast<const Vec<T, V>*>(a + i);
    const Vec<T, V> y = *reinterpret_cast<const Vec<T, V>*>(b + i);
    Vec<uint8_t, V> r;
#pragma unroll
    for (int j = 0; j < V; ++j) r.v[j] = applyCompare(op, x.v[j], y.v[j]);
    *reinterpret_cast<Vec<uint8_t, V>*>(out + i) = r;
  }
};

template <typename T, typename C>
struct WhereF {
  T* out;
  const C* cond;
  const T* a;
  const T* b;
  __device__ void operator()(const int64_t (&o)[4]) const { out[o[0]] = cond[o[1]] != C(0) ? a[o[2]] : b[o[3]]; }
};

// ---- kernels -------------------------------------------------------------

// n elements of a strided iteration; grid-stride.
template <int N, typename F>
__global__ void stridedKernel(StridedPack<N> p, int64_t n, F f) {
  const int64_t step = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    int64_t off[N];
    packOffsets(p, i, off);
    f(off);
  }
}

// n contiguous elements, V per thread per step (aligned vectors), then the tail.
template <int V, typename F>
__global__ void contigKernel(int64_t n, F f) {
  const int64_t step = int64_t(gridDim.x) * blockDim.x;
  const int64_t first = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  const int64_t nv = n / V;
  for (int64_t v = first; v < nv; v += step) f.template vec<V>(v * V);
  for (int64_t i = nv * V + first; i < n; i += step) f.template vec<1>(i);
}

// out[i * stride] = start + i * step;  out is [n]
template <typename T>
__global__ void arangeKernel(int64_t n, T* out, int64_t stride, double start, double stepv, bool toBool) {
  const int64_t step = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    const double v = ew::arangeValue(start, stepv, i);
    out[i * stride] = toBool ? T(v != 0.0) : castValue<T>(v);
  }
}

// ---- launch helpers ------------------------------------------------------

template <int N, typename F>
void runStrided(const Ctx& c, const StridedPack<N>& p, int64_t n, const F& f, const char* op) {
  stridedKernel<N, F><<<gridFor(n, kThreads), kThreads, 0, c.stream>>>(p, n, f);
  checkLaunch(op);
}

template <int V, typename F>
void runContig(const Ctx& c, int64_t n, const F& f, const char* op) {
  contigKernel<V, F><<<gridFor((n + V - 1) / V, kThreads), kThreads, 0, c.stream>>>(n, f);
  checkLaunch(op);
}

template <int N>
bool allUnitStride(const StridedPack<N>& p) {
  if (p.ndim != 1) return false;
  for (int k = 0; k < N; ++k)
    if (p.strides[k][0] != 1) return false;
  return true;
}

}  // namespace

// out[shape] = value
void launchFill(const Ctx& c, const FillArgs& a) {
  const int64_t n = a.shape.numel();
  if (n == 0) return;
  const int64_t* s[1] = {a.out.strides};
  const auto p = makePack<1>(a.shape, s);
  NT_DISPATCH_ALL(a.out.dtype, [&] {
    const T v = a.out.dtype == DType::Bool ? T(a.value != 0) : castValue<T>(a.value);
    FillF<T> f{static_cast<T*>(a.out.data), v};
    if (allUnitStride(p) && aligned16(a.out.data)) runContig<16 / sizeof(T)>(c, n, f, "fill");
    else runStrided(c, p, n, f, "fill");
  });
}

// Same bytes in and out: element width W.
template <typename W>
void copyRaw(const Ctx& c, const StridedPack<2>& p, int64_t n, const CopyArgs& a) {
  runStrided(c, p, n, CopyF<W, W, false>{static_cast<W*>(a.out.data), static_cast<const W*>(a.in.data)}, "copy");
}

// out[shape] = cast(in[shape])
void launchCopy(const Ctx& c, const CopyArgs& a) {
  const int64_t n = a.shape.numel();
  if (n == 0) return;
  const int64_t* s[2] = {a.out.strides, a.in.strides};
  const auto p = makePack<2>(a.shape, s);
  const DType od = a.out.dtype, id = a.in.dtype;
  if (od == id || (od == DType::UInt8 && id == DType::Bool)) {
    if (allUnitStride(p)) {
      check(cudaMemcpyAsync(a.out.data, a.in.data, size_t(n) * dtypeSize(id), cudaMemcpyDeviceToDevice, c.stream),
            "copy: cudaMemcpyAsync");
    } else {
      switch (dtypeSize(od)) {
        case 1: copyRaw<uint8_t>(c, p, n, a); break;
        case 4: copyRaw<uint32_t>(c, p, n, a); break;
        default: copyRaw<uint64_t>(c, p, n, a); break;
      }
    }
    return;
  }
  NT_DISPATCH_ALL(id, [&] {
    using Ti = T;
    if (od == DType::Bool) {
      runStrided(c, p, n,
                 CopyF<Ti, uint8_t, true>{static_cast<uint8_t*>(a.out.data), static_cast<const Ti*>(a.in.data)},
                 "copy");
      return;
    }
    NT_DISPATCH_ALL(od, [&] {
      runStrided(c, p, n, CopyF<Ti, T, false>{static_cast<T*>(a.out.data), static_cast<const Ti*>(a.in.data)}, "copy");
    });
  });
}

// out[i] = start + i * step, i in [0, n)
void launchArange(const Ctx& c, const ArangeArgs& a) {
  if (a.n <= 0) return;
  const bool toBool = a.out.dtype == DType::Bool;
  NT_DISPATCH_ALL(a.out.dtype, [&] {
    arangeKernel<T><<<gridFor(a.n, kThreads), kThreads, 0, c.stream>>>(a.n, static_cast<T*>(a.out.data),
                                                                       a.out.strides[0], a.start, a.step, toBool);
    checkLaunch("arange");
  });
}

// out[shape] = op(in[shape]); out and in share a numeric dtype
void launchUnary(const Ctx& c, const UnaryArgs& a) {
  ew::checkUnary(a.op, a.in.dtype);
  const int64_t n = a.shape.numel();
  if (n == 0) return;
  const int64_t* s[2] = {a.out.strides, a.in.strides};
  const auto p = makePack<2>(a.shape, s);
  NT_DISPATCH_ALL(a.in.dtype, [&] {
    UnaryF<T> f{a.op, static_cast<T*>(a.out.data), static_cast<const T*>(a.in.data),
                ew::makeUnaryParams<T>(a.p0, a.p1)};
    if (allUnitStride(p) && aligned16(a.out.data) && aligned16(a.in.data)) runContig<16 / sizeof(T)>(c, n, f, "unary");
    else runStrided(c, p, n, f, "unary");
  });
}

// out[shape] = op(a[shape], b[shape]); a, b share a dtype; out Bool for comparisons
void launchBinary(const Ctx& c, const BinaryArgs& a) {
  ew::checkBinary(a.op, a.a.dtype);
  const bool cmp = ew::binaryDomain(a.op) == ew::Domain::Compare;
  const int64_t n = a.shape.numel();
  if (n == 0) return;
  const int64_t* s[3] = {a.out.strides, a.a.strides, a.b.strides};
  const auto p = makePack<3>(a.shape, s);
  const bool vec = allUnitStride(p) && aligned16(a.out.data) && aligned16(a.a.data) && aligned16(a.b.data);
  NT_DISPATCH_ALL(a.a.dtype, [&] {
    const T* x = static_cast<const T*>(a.a.data);
    const T* y = static_cast<const T*>(a.b.data);
    if (cmp) {
      CompareF<T> f{a.op, static_cast<uint8_t*>(a.out.data), x, y};
      if (vec) runContig<16 / sizeof(T)>(c, n, f, "binary");  // out 16-byte aligned too
      else runStrided(c, p, n, f, "binary");
    } else {
      BinaryF<T> f{a.op, static_cast<T*>(a.out.data), x, y, castValue<T>(a.alpha)};
      if (vec) runContig<16 / sizeof(T)>(c, n, f, "binary");
      else runStrided(c, p, n, f, "binary");
    }
  });
}

template <typename W>
void whereWidth(const Ctx& c, const StridedPack<4>& p, int64_t n, const WhereArgs& a) {
  NT_DISPATCH_ALL(a.cond.dtype, [&] {
    runStrided(c, p, n,
               WhereF<W, T>{static_cast<W*>(a.out.data), static_cast<const T*>(a.cond.data),
                            static_cast<const W*>(a.a.data), static_cast<const W*>(a.b.data)},
               "where");
  });
}

// out[shape] = cond[shape] != 0 ? a[shape] : b[shape]; only the bytes move
void launchWhere(const Ctx& c, const WhereArgs& a) {
  const int64_t n = a.shape.numel();
  if (n == 0) return;
  const int64_t* s[4] = {a.out.strides, a.cond.strides, a.a.strides, a.b.strides};
  const auto p = makePack<4>(a.shape, s);
  switch (dtypeSize(a.out.dtype)) {
    case 1: return whereWidth<uint8_t>(c, p, n, a);
    case 4: return whereWidth<uint32_t>(c, p, n, a);
    default: return whereWidth<uint64_t>(c, p, n, a);
  }
}

}  // namespace cuda
}  // namespace nt
