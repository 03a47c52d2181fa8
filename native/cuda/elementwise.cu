/*
 * Elementwise kernels: fill, copy (with dtype cast), arange, unary, binary,
 * where. Every op runs over a StridedPack (any non-negative strides, up to 8
 * dims, coalesced on the host so most tensors become 1-D); when every
 * operand is contiguous and 16-byte aligned a vectorized path loads and
 * stores 16 bytes per thread. The op code is a run-time switch inside the
 * kernel (uniform over the grid, so it costs no divergence) to keep the
 * number of instantiations, and the 8-architecture build time, small.
 * Scalar formulas (GELU, sigmoid, ...) come from common/scalar_ops.h.
 */
#include <cuda_runtime.h>

#include <cmath>
#include <limits>
#include <string>
#include <type_traits>

#include "common/op_names.h"
#include "common/scalar_ops.h"
#include "cuda/device_utils.cuh"
#include "cuda/kernels.h"

namespace nt {
namespace cuda {
namespace {

// ---- scalar ops --------------------------------------------------------
// Same semantics as the CPU twin (cpu/elementwise.cpp): integer arithmetic
// wraps, integer x / 0 == 0, float -> int casts saturate (NaN -> 0),
// Maximum/Minimum/Clamp propagate NaN. Ops an integer dtype does not support
// are rejected on the host before launch, with the CPU's message.

template <typename T>
__device__ __forceinline__ T wrapAdd(T a, T b) {
  if constexpr (std::is_integral<T>::value) { using U = typename std::make_unsigned<T>::type; return T(U(U(a) + U(b))); }
  else return a + b;
}
template <typename T>
__device__ __forceinline__ T wrapSub(T a, T b) {
  if constexpr (std::is_integral<T>::value) { using U = typename std::make_unsigned<T>::type; return T(U(U(a) - U(b))); }
  else return a - b;
}
template <typename T>
__device__ __forceinline__ T wrapMul(T a, T b) {
  if constexpr (std::is_integral<T>::value) {
    using U = typename std::conditional<(sizeof(T) < sizeof(unsigned)), unsigned,
                                        typename std::make_unsigned<T>::type>::type;
    return T(U(U(a) * U(b)));
  } else {
    return a * b;
  }
}

// Unary op parameters already converted to T on the host (saturating).
template <typename T>
struct UnaryParams { T c, lo, hi; };

template <typename T>
__device__ __forceinline__ T applyUnary(UnaryOp op, T x, const UnaryParams<T>& q) {
  switch (op) {  // defined for every numeric dtype
    case UnaryOp::Neg: if constexpr (std::is_floating_point<T>::value) return -x; else return wrapSub(T(0), x);
    case UnaryOp::Abs:
      if constexpr (std::is_floating_point<T>::value) return fabs(x);
      else if constexpr (std::is_signed<T>::value) return x < T(0) ? wrapSub(T(0), x) : x;
      else return x;
    case UnaryOp::Square: return wrapMul(x, x);
    case UnaryOp::Relu: return scalar::relu(x);
    case UnaryOp::AddScalar: return wrapAdd(x, q.c);
    case UnaryOp::MulScalar: return wrapMul(x, q.c);
    case UnaryOp::RsubScalar: return wrapSub(q.c, x);
    default: break;
  }
  if constexpr (std::is_floating_point<T>::value) {
    switch (op) {
      case UnaryOp::Exp: return exp(x);
      case UnaryOp::Log: return log(x);
      case UnaryOp::Sqrt: return sqrt(x);
      case UnaryOp::Rsqrt: return T(1) / sqrt(x);
      case UnaryOp::Sigmoid: return scalar::sigmoid(x);
      case UnaryOp::Tanh: return tanh(x);
      case UnaryOp::Gelu: return scalar::gelu(x);
      case UnaryOp::Sin: return sin(x);
      case UnaryOp::Cos: return cos(x);
      case UnaryOp::Sign: return x > T(0) ? T(1) : x < T(0) ? T(-1) : x;  // NaN, +-0 kept
      case UnaryOp::Reciprocal: return T(1) / x;
      case UnaryOp::Floor: return floor(x);
      case UnaryOp::Ceil: return ceil(x);
      case UnaryOp::Round: return rint(x);  // half to even, like nearbyint
      case UnaryOp::Log1p: return log1p(x);
      case UnaryOp::Expm1: return expm1(x);
      case UnaryOp::PowScalar: return q.c == T(2) ? x * x : pow(x, q.c);
      case UnaryOp::RdivScalar: return q.c / x;
      case UnaryOp::Clamp: {  // min(max(x, lo), hi) as std::min/max: NaN stays NaN
        const T m = x < q.lo ? q.lo : x;
        return q.hi < m ? q.hi : m;
      }
      case UnaryOp::LeakyRelu: return x > T(0) ? x : q.c * x;
      case UnaryOp::Erf: return erf(x);
      default: return x;
    }
  } else {
    switch (op) {
      case UnaryOp::Sign:
        if constexpr (std::is_signed<T>::value) return T((x > T(0)) - (x < T(0)));
        else return T(x > T(0));
      case UnaryOp::Clamp: return x < q.lo ? q.lo : x > q.hi ? q.hi : x;
      default: return x;
    }
  }
}

template <typename T>
__device__ __forceinline__ T intDiv(T x, T y) {
  if (y == T(0)) return T(0);
  if constexpr (std::is_signed<T>::value) {
    if (y == T(-1)) return wrapSub(T(0), x);  // INT_MIN / -1 must not trap
  }
  return T(x / y);
}

// Arithmetic binary ops (output dtype == input dtype); alpha converted to T.
template <typename T>
__device__ __forceinline__ T applyBinary(BinaryOp op, T a, T b, T alpha) {
  switch (op) {
    case BinaryOp::Add: return wrapAdd(a, wrapMul(alpha, b));
    case BinaryOp::Sub: return wrapSub(a, wrapMul(alpha, b));
    case BinaryOp::Mul: return wrapMul(a, b);
    case BinaryOp::Div:
      if constexpr (std::is_floating_point<T>::value) return a / b;
      else return intDiv(a, b);
    case BinaryOp::Maximum: return (a > b || a != a) ? a : b;  // NaN in either gives NaN
    case BinaryOp::Minimum: return (a < b || a != a) ? a : b;
    default: break;
  }
  if constexpr (std::is_floating_point<T>::value) {
    switch (op) {
      case BinaryOp::Pow: return pow(a, b);
      case BinaryOp::ReluBackward: return b > T(0) ? a : T(0);
      case BinaryOp::SigmoidBackward: return a * b * (T(1) - b);
      case BinaryOp::TanhBackward: return a * (T(1) - b * b);
      case BinaryOp::GeluBackward: return a * scalar::geluGrad(b);
      default: break;
    }
  }
  return a;
}

// Comparison and logical ops: Bool (uint8) output.
template <typename T>
__device__ __forceinline__ uint8_t applyCompare(BinaryOp op, T a, T b) {
  switch (op) {
    case BinaryOp::Eq: return a == b;
    case BinaryOp::Ne: return a != b;
    case BinaryOp::Lt: return a < b;
    case BinaryOp::Le: return a <= b;
    case BinaryOp::Gt: return a > b;
    case BinaryOp::Ge: return a >= b;
    case BinaryOp::LogicalAnd: return a != T(0) && b != T(0);
    case BinaryOp::LogicalOr: return a != T(0) || b != T(0);
    default: return 0;
  }
}

inline bool isCompare(BinaryOp op) {
  return (op >= BinaryOp::Eq && op <= BinaryOp::Ge) || op == BinaryOp::LogicalAnd ||
         op == BinaryOp::LogicalOr;
}

// Ops valid for integer dtypes (the rest need float32/float64).
inline bool unaryIntOk(UnaryOp op) {
  switch (op) {
    case UnaryOp::Neg: case UnaryOp::Abs: case UnaryOp::Square: case UnaryOp::Relu:
    case UnaryOp::AddScalar: case UnaryOp::MulScalar: case UnaryOp::RsubScalar:
    case UnaryOp::Sign: case UnaryOp::Clamp:
      return true;
    default: return false;
  }
}
inline bool binaryIntOk(BinaryOp op) {
  return op <= BinaryOp::Div || op == BinaryOp::Maximum || op == BinaryOp::Minimum || isCompare(op);
}

[[noreturn]] void dtypeError(const std::string& op, const char* expected, DType got) {
  throw Error(ErrorKind::DType, op + ": expected " + expected + ", got " + dtypeName(got));
}

// ---- functors: operator()(offsets) for strided, vec<V>(i) for contiguous -

template <typename T>
struct FillF {
  T* out; T value;
  __device__ void operator()(const int64_t (&o)[1]) const { out[o[0]] = value; }
  template <int V> __device__ void vec(int64_t i) const {
    Vec<T, V> y;
#pragma unroll
    for (int j = 0; j < V; ++j) y.v[j] = value;
    *reinterpret_cast<Vec<T, V>*>(out + i) = y;
  }
};

template <typename Ti, typename To, bool kToBool>
struct CopyF {
  To* out; const Ti* in;
  __device__ void operator()(const int64_t (&o)[2]) const {
    const Ti x = in[o[1]];
    if constexpr (kToBool) out[o[0]] = To(x != Ti(0));
    else out[o[0]] = castValue<To>(x);
  }
};

template <typename T>
struct UnaryF {
  UnaryOp op; T* out; const T* in; UnaryParams<T> q;
  __device__ void operator()(const int64_t (&o)[2]) const { out[o[0]] = applyUnary(op, in[o[1]], q); }
  template <int V> __device__ void vec(int64_t i) const {
    Vec<T, V> x = *reinterpret_cast<const Vec<T, V>*>(in + i);
#pragma unroll
    for (int j = 0; j < V; ++j) x.v[j] = applyUnary(op, x.v[j], q);
    *reinterpret_cast<Vec<T, V>*>(out + i) = x;
  }
};

template <typename T>
struct BinaryF {
  BinaryOp op; T* out; const T* a; const T* b; T alpha;
  __device__ void operator()(const int64_t (&o)[3]) const { out[o[0]] = applyBinary(op, a[o[1]], b[o[2]], alpha); }
  template <int V> __device__ void vec(int64_t i) const {
    Vec<T, V> x = *reinterpret_cast<const Vec<T, V>*>(a + i);
    const Vec<T, V> y = *reinterpret_cast<const Vec<T, V>*>(b + i);
#pragma unroll
    for (int j = 0; j < V; ++j) x.v[j] = applyBinary(op, x.v[j], y.v[j], alpha);
    *reinterpret_cast<Vec<T, V>*>(out + i) = x;
  }
};

template <typename T>
struct CompareF {
  BinaryOp op; uint8_t* out; const T* a; const T* b;
  __device__ void operator()(const int64_t (&o)[3]) const { out[o[0]] = applyCompare(op, a[o[1]], b[o[2]]); }
  template <int V> __device__ void vec(int64_t i) const {
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
  T* out; const C* cond; const T* a; const T* b;
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
    const double v = start + double(i) * stepv;
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
      check(cudaMemcpyAsync(a.out.data, a.in.data, size_t(n) * dtypeSize(id),
                            cudaMemcpyDeviceToDevice, c.stream),
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
      runStrided(c, p, n, CopyF<Ti, uint8_t, true>{static_cast<uint8_t*>(a.out.data), static_cast<const Ti*>(a.in.data)}, "copy");
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
    arangeKernel<T><<<gridFor(a.n, kThreads), kThreads, 0, c.stream>>>(
        a.n, static_cast<T*>(a.out.data), a.out.strides[0], a.start, a.step, toBool);
    checkLaunch("arange");
  });
}

template <typename T>
UnaryParams<T> unaryParams(const UnaryArgs& a) {
  UnaryParams<T> q;
  q.c = castValue<T>(a.p0);
  if constexpr (std::is_floating_point<T>::value) {
    q.lo = T(a.p0);
    q.hi = T(a.p1);
  } else {  // bounds rounded inward and saturated; NaN means unbounded
    q.lo = std::isnan(a.p0) ? std::numeric_limits<T>::min() : castValue<T>(std::ceil(a.p0));
    q.hi = std::isnan(a.p1) ? std::numeric_limits<T>::max() : castValue<T>(std::floor(a.p1));
  }
  return q;
}

// out[shape] = op(in[shape]); out and in share a numeric dtype
void launchUnary(const Ctx& c, const UnaryArgs& a) {
  const std::string name = std::string("unary(") + unaryName(a.op) + ")";
  if (a.op < UnaryOp::Neg || a.op >= UnaryOp::Count)
    throw Error(ErrorKind::Argument, "unary: unknown op code " + std::to_string(int(a.op)));
  if (a.in.dtype == DType::Bool) dtypeError(name, "a numeric dtype", a.in.dtype);
  if (!isFloating(a.in.dtype) && !unaryIntOk(a.op)) dtypeError(name, "float32 or float64", a.in.dtype);
  const int64_t n = a.shape.numel();
  if (n == 0) return;
  const int64_t* s[2] = {a.out.strides, a.in.strides};
  const auto p = makePack<2>(a.shape, s);
  NT_DISPATCH_ALL(a.in.dtype, [&] {
    UnaryF<T> f{a.op, static_cast<T*>(a.out.data), static_cast<const T*>(a.in.data), unaryParams<T>(a)};
    if (allUnitStride(p) && aligned16(a.out.data) && aligned16(a.in.data))
      runContig<16 / sizeof(T)>(c, n, f, "unary");
    else runStrided(c, p, n, f, "unary");
  });
}

// out[shape] = op(a[shape], b[shape]); a, b share a dtype; out Bool for comparisons
void launchBinary(const Ctx& c, const BinaryArgs& a) {
  const std::string name = std::string("binary(") + binaryName(a.op) + ")";
  if (a.op < BinaryOp::Add || a.op >= BinaryOp::Count)
    throw Error(ErrorKind::Argument, "binary: unknown op code " + std::to_string(int(a.op)));
  const bool cmp = isCompare(a.op);
  if (a.a.dtype == DType::Bool && !cmp) dtypeError(name, "a numeric dtype", DType::Bool);
  if (!isFloating(a.a.dtype) && !binaryIntOk(a.op)) dtypeError(name, "float32 or float64", a.a.dtype);
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
