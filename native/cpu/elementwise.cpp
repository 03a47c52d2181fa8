// Elementwise CPU kernels: fill, copy (with dtype cast), arange, unary,
// binary, where. Every operand is strided (stride 0 = broadcast) up to 8-d.
//
// makeLoop() coalesces the shape first, so a contiguous tensor is one flat
// run, "[N,M] op [M]" is N contiguous runs and a scalar operand is a run
// with stride 0. Each run then goes to a tight loop chosen by its strides:
// all contiguous, one operand scalar, or generic strided. The contiguous
// loops use __restrict; an output that exactly aliases an input (in-place
// ops) is still correct because element i only reads inputs at i.
//
// Integer semantics (documented for the TS layer): arithmetic wraps (two's
// complement); Div truncates toward zero and x / 0 == 0, INT_MIN / -1 ==
// INT_MIN (no SIGFPE); float -> int casts saturate and NaN -> 0.
#include <cmath>
#include <cstring>
#include <string>

#include "common/scalar_ops.h"
#include "common/op_names.h"
#include "cpu/kernels_cpu.h"
#include "cpu/loops.h"

namespace nt {
namespace cpu {
namespace {

template <class T> struct Tag { using type = T; };

[[noreturn]] void dtypeError(const std::string& op, const char* expected, DType got) {
  throw Error(ErrorKind::DType, op + ": expected " + expected + ", got " + dtypeName(got));
}

// Calls f(Tag<T>) for float32/float64/int32/int64/uint8; Bool is rejected.
template <class F>
void dispatchNumeric(DType d, const std::string& op, F&& f) {
  switch (d) {
    case DType::Float32: return f(Tag<float>{});
    case DType::Float64: return f(Tag<double>{});
    case DType::Int32: return f(Tag<int32_t>{});
    case DType::Int64: return f(Tag<int64_t>{});
    case DType::UInt8: return f(Tag<uint8_t>{});
    default: dtypeError(op, "a numeric dtype", d);
  }
}

// Scalar parameter as T: floats convert directly, ints saturate.
template <class T> T param(double v) { return castValue<T>(v); }

// ---- fill / arange ------------------------------------------------------

template <class T>
void fillTyped(const FillArgs& a, T v) {
  const Operand* ops[1] = {&a.out};
  const Loop<1> L = makeLoop<1>(a.shape, ops);
  forEachRun(L, [&](char** p, const int64_t* s, int64_t n) {
    T* o = reinterpret_cast<T*>(p[0]);
    if (s[0] == sizeof(T)) {
      for (int64_t i = 0; i < n; ++i) o[i] = v;
    } else {
      const int64_t so = s[0] / int64_t(sizeof(T));
      for (int64_t i = 0; i < n; ++i) o[i * so] = v;
    }
  });
}

// ---- copy -----------------------------------------------------------------

template <class O, bool kToBool, class I>
inline O convert(I v) {
  if constexpr (kToBool) return O(v != I(0));
  else return castValue<O>(v);
}

template <class O, bool kToBool, class I>
void copyCast(const Loop<2>& L) {
  forEachRun(L, [&](char** p, const int64_t* s, int64_t n) {
    O* o = reinterpret_cast<O*>(p[0]);
    const I* x = reinterpret_cast<const I*>(p[1]);
    if (s[0] == sizeof(O) && s[1] == sizeof(I)) {
      O* __restrict ro = o;
      const I* __restrict rx = x;
      for (int64_t i = 0; i < n; ++i) ro[i] = convert<O, kToBool>(rx[i]);
    } else {
      const int64_t so = s[0] / int64_t(sizeof(O)), sx = s[1] / int64_t(sizeof(I));
      for (int64_t i = 0; i < n; ++i) o[i * so] = convert<O, kToBool>(x[i * sx]);
    }
  });
}

// Same bytes in and out (equal dtypes, or Bool -> UInt8).
template <class W>
void copyRaw(const Loop<2>& L) {
  forEachRun(L, [&](char** p, const int64_t* s, int64_t n) {
    if (s[0] == sizeof(W) && s[1] == sizeof(W)) {
      std::memmove(p[0], p[1], size_t(n) * sizeof(W));
    } else {
      W* o = reinterpret_cast<W*>(p[0]);
      const W* x = reinterpret_cast<const W*>(p[1]);
      const int64_t so = s[0] / int64_t(sizeof(W)), sx = s[1] / int64_t(sizeof(W));
      for (int64_t i = 0; i < n; ++i) o[i * so] = x[i * sx];
    }
  });
}

// ---- unary ----------------------------------------------------------------

template <class T, class Op>
void unaryContig(T* __restrict o, const T* __restrict x, int64_t n, Op op) {
  for (int64_t i = 0; i < n; ++i) o[i] = op(x[i]);
}

template <class T, class Op>
void runUnary(const Loop<2>& L, Op op) {
  forEachRun(L, [&](char** p, const int64_t* s, int64_t n) {
    T* o = reinterpret_cast<T*>(p[0]);
    const T* x = reinterpret_cast<const T*>(p[1]);
    if (s[0] == sizeof(T) && s[1] == sizeof(T)) {
      unaryContig(o, x, n, op);
    } else {
      const int64_t so = s[0] / int64_t(sizeof(T)), sx = s[1] / int64_t(sizeof(T));
      for (int64_t i = 0; i < n; ++i) o[i * so] = op(x[i * sx]);
    }
  });
}

// Ops defined for every numeric dtype. Returns false when `op` is not one.
template <class T>
bool unaryCommon(const UnaryArgs& a, const Loop<2>& L) {
  switch (a.op) {
    case UnaryOp::Neg:
      if constexpr (std::is_floating_point_v<T>) runUnary<T>(L, [](T x) { return -x; });
      else runUnary<T>(L, [](T x) { return wrapSub(T(0), x); });
      return true;
    case UnaryOp::Abs:
      if constexpr (std::is_floating_point_v<T>) runUnary<T>(L, [](T x) { return std::abs(x); });
      else runUnary<T>(L, [](T x) { return x < T(0) ? wrapSub(T(0), x) : x; });
      return true;
    case UnaryOp::Square: runUnary<T>(L, [](T x) { return wrapMul(x, x); }); return true;
    case UnaryOp::Relu: runUnary<T>(L, [](T x) { return scalar::relu(x); }); return true;
    case UnaryOp::AddScalar: { const T c = param<T>(a.p0); runUnary<T>(L, [c](T x) { return wrapAdd(x, c); }); return true; }
    case UnaryOp::MulScalar: { const T c = param<T>(a.p0); runUnary<T>(L, [c](T x) { return wrapMul(x, c); }); return true; }
    case UnaryOp::RsubScalar: { const T c = param<T>(a.p0); runUnary<T>(L, [c](T x) { return wrapSub(c, x); }); return true; }
    default: return false;
  }
}

template <class T>
void unaryFloat(const UnaryArgs& a, const Loop<2>& L) {
  const T c = T(a.p0);
  switch (a.op) {
    case UnaryOp::Exp: return runUnary<T>(L, [](T x) { return std::exp(x); });
    case UnaryOp::Log: return runUnary<T>(L, [](T x) { return std::log(x); });
    case UnaryOp::Sqrt: return runUnary<T>(L, [](T x) { return std::sqrt(x); });
    case UnaryOp::Rsqrt: return runUnary<T>(L, [](T x) { return T(1) / std::sqrt(x); });
    case UnaryOp::Sigmoid: return runUnary<T>(L, [](T x) { return scalar::sigmoid(x); });
    case UnaryOp::Tanh: return runUnary<T>(L, [](T x) { return std::tanh(x); });
    case UnaryOp::Gelu: return runUnary<T>(L, [](T x) { return scalar::gelu(x); });
    case UnaryOp::Sin: return runUnary<T>(L, [](T x) { return std::sin(x); });
    case UnaryOp::Cos: return runUnary<T>(L, [](T x) { return std::cos(x); });
    case UnaryOp::Sign:  // NaN and +-0 map to themselves
      return runUnary<T>(L, [](T x) { return x > T(0) ? T(1) : x < T(0) ? T(-1) : x; });
    case UnaryOp::Reciprocal: return runUnary<T>(L, [](T x) { return T(1) / x; });
    case UnaryOp::Floor: return runUnary<T>(L, [](T x) { return std::floor(x); });
    case UnaryOp::Ceil: return runUnary<T>(L, [](T x) { return std::ceil(x); });
    case UnaryOp::Round: return runUnary<T>(L, [](T x) { return std::nearbyint(x); });  // half to even
    case UnaryOp::Log1p: return runUnary<T>(L, [](T x) { return std::log1p(x); });
    case UnaryOp::Expm1: return runUnary<T>(L, [](T x) { return std::expm1(x); });
    case UnaryOp::PowScalar:
      if (a.p0 == 2.0) return runUnary<T>(L, [](T x) { return x * x; });
      return runUnary<T>(L, [c](T x) { return std::pow(x, c); });
    case UnaryOp::RdivScalar: return runUnary<T>(L, [c](T x) { return c / x; });
    case UnaryOp::Clamp: {  // NaN input stays NaN
      const T lo = T(a.p0), hi = T(a.p1);
      return runUnary<T>(L, [lo, hi](T x) { return std::min(std::max(x, lo), hi); });
    }
    case UnaryOp::LeakyRelu: return runUnary<T>(L, [c](T x) { return x > T(0) ? x : c * x; });
    case UnaryOp::Erf: return runUnary<T>(L, [](T x) { return std::erf(x); });
    default:
      throw Error(ErrorKind::Argument, std::string("unary: unknown op code ") +
                                           std::to_string(static_cast<int>(a.op)));
  }
}

template <class T>
void unaryInt(const UnaryArgs& a, const Loop<2>& L) {
  switch (a.op) {
    case UnaryOp::Sign:
      return runUnary<T>(L, [](T x) { return T((x > T(0)) - (x < T(0))); });
    case UnaryOp::Clamp: {
      // Bounds rounded inward and saturated; NaN or infinite means unbounded.
      const T lo = std::isnan(a.p0) ? std::numeric_limits<T>::min() : castValue<T>(std::ceil(a.p0));
      const T hi = std::isnan(a.p1) ? std::numeric_limits<T>::max() : castValue<T>(std::floor(a.p1));
      return runUnary<T>(L, [lo, hi](T x) { return x < lo ? lo : x > hi ? hi : x; });
    }
    default:
      dtypeError(std::string("unary(") + unaryName(a.op) + ")", "float32 or float64", a.in.dtype);
  }
}

// ---- binary ---------------------------------------------------------------

template <class O, class T, class Op>
void binContig(O* __restrict o, const T* __restrict x, const T* __restrict y, int64_t n, Op op) {
  for (int64_t i = 0; i < n; ++i) o[i] = op(x[i], y[i]);
}
template <class O, class T, class Op>
void binScalarB(O* __restrict o, const T* __restrict x, T y, int64_t n, Op op) {
  for (int64_t i = 0; i < n; ++i) o[i] = op(x[i], y);
}
template <class O, class T, class Op>
void binScalarA(O* __restrict o, T x, const T* __restrict y, int64_t n, Op op) {
  for (int64_t i = 0; i < n; ++i) o[i] = op(x, y[i]);
}

template <class O, class T, class Op>
void runBinary(const Loop<3>& L, Op op) {
  forEachRun(L, [&](char** p, const int64_t* s, int64_t n) {
    O* o = reinterpret_cast<O*>(p[0]);
    const T* x = reinterpret_cast<const T*>(p[1]);
    const T* y = reinterpret_cast<const T*>(p[2]);
    constexpr int64_t so = sizeof(O), st = sizeof(T);
    if (s[0] == so && s[1] == st && s[2] == st) {
      binContig(o, x, y, n, op);
    } else if (s[0] == so && s[1] == st && s[2] == 0) {
      binScalarB(o, x, *y, n, op);
    } else if (s[0] == so && s[1] == 0 && s[2] == st) {
      binScalarA(o, *x, y, n, op);
    } else {
      const int64_t io = s[0] / so, ix = s[1] / st, iy = s[2] / st;
      for (int64_t i = 0; i < n; ++i) o[i * io] = op(x[i * ix], y[i * iy]);
    }
  });
}

template <class T>
T intDiv(T x, T y) {
  if (y == T(0)) return T(0);
  if constexpr (std::is_signed_v<T>) {
    if (y == T(-1)) return wrapSub(T(0), x);  // avoids INT_MIN / -1
  }
  return T(x / y);
}

// Comparisons and logical ops: any dtype in, Bool out.
template <class T>
bool binaryToBool(const BinaryArgs& a, const Loop<3>& L) {
  using B = uint8_t;
  switch (a.op) {
    case BinaryOp::Eq: runBinary<B, T>(L, [](T x, T y) { return B(x == y); }); return true;
    case BinaryOp::Ne: runBinary<B, T>(L, [](T x, T y) { return B(x != y); }); return true;
    case BinaryOp::Lt: runBinary<B, T>(L, [](T x, T y) { return B(x < y); }); return true;
    case BinaryOp::Le: runBinary<B, T>(L, [](T x, T y) { return B(x <= y); }); return true;
    case BinaryOp::Gt: runBinary<B, T>(L, [](T x, T y) { return B(x > y); }); return true;
    case BinaryOp::Ge: runBinary<B, T>(L, [](T x, T y) { return B(x >= y); }); return true;
    case BinaryOp::LogicalAnd:
      runBinary<B, T>(L, [](T x, T y) { return B(x != T(0) && y != T(0)); }); return true;
    case BinaryOp::LogicalOr:
      runBinary<B, T>(L, [](T x, T y) { return B(x != T(0) || y != T(0)); }); return true;
    default: return false;
  }
}

template <class T>
void binaryArith(const BinaryArgs& a, const Loop<3>& L) {
  constexpr bool kFloat = std::is_floating_point_v<T>;
  const T alpha = param<T>(a.alpha);
  switch (a.op) {
    case BinaryOp::Add:
      if (a.alpha == 1.0) return runBinary<T, T>(L, [](T x, T y) { return wrapAdd(x, y); });
      return runBinary<T, T>(L, [alpha](T x, T y) { return wrapAdd(x, wrapMul(alpha, y)); });
    case BinaryOp::Sub:
      if (a.alpha == 1.0) return runBinary<T, T>(L, [](T x, T y) { return wrapSub(x, y); });
      return runBinary<T, T>(L, [alpha](T x, T y) { return wrapSub(x, wrapMul(alpha, y)); });
    case BinaryOp::Mul: return runBinary<T, T>(L, [](T x, T y) { return wrapMul(x, y); });
    case BinaryOp::Div:
      if constexpr (kFloat) return runBinary<T, T>(L, [](T x, T y) { return x / y; });
      else return runBinary<T, T>(L, [](T x, T y) { return intDiv(x, y); });
    case BinaryOp::Maximum:  // NaN in either input gives NaN
      return runBinary<T, T>(L, [](T x, T y) { return (x > y || x != x) ? x : y; });
    case BinaryOp::Minimum:
      return runBinary<T, T>(L, [](T x, T y) { return (x < y || x != x) ? x : y; });
    default: break;
  }
  if constexpr (kFloat) {
    switch (a.op) {
      case BinaryOp::Pow: return runBinary<T, T>(L, [](T x, T y) { return std::pow(x, y); });
      case BinaryOp::ReluBackward:
        return runBinary<T, T>(L, [](T g, T x) { return x > T(0) ? g : T(0); });
      case BinaryOp::SigmoidBackward:
        return runBinary<T, T>(L, [](T g, T y) { return g * y * (T(1) - y); });
      case BinaryOp::TanhBackward:
        return runBinary<T, T>(L, [](T g, T y) { return g * (T(1) - y * y); });
      case BinaryOp::GeluBackward:
        return runBinary<T, T>(L, [](T g, T x) { return g * scalar::geluGrad(x); });
      default:
        throw Error(ErrorKind::Argument, std::string("binary: unknown op code ") +
                                             std::to_string(static_cast<int>(a.op)));
    }
  } else {
    dtypeError(std::string("binary(") + binaryName(a.op) + ")", "float32 or float64", a.a.dtype);
  }
}

// ---- where ----------------------------------------------------------------

template <class T, class C>
void runWhere(const Loop<4>& L) {
  forEachRun(L, [&](char** p, const int64_t* s, int64_t n) {
    T* o = reinterpret_cast<T*>(p[0]);
    const C* c = reinterpret_cast<const C*>(p[1]);
    const T* x = reinterpret_cast<const T*>(p[2]);
    const T* y = reinterpret_cast<const T*>(p[3]);
    constexpr int64_t st = sizeof(T), sc = sizeof(C);
    if (s[0] == st && s[1] == sc && s[2] == st && s[3] == st) {
      T* __restrict ro = o;
      for (int64_t i = 0; i < n; ++i) ro[i] = c[i] != C(0) ? x[i] : y[i];
    } else {
      const int64_t io = s[0] / st, ic = s[1] / sc, ix = s[2] / st, iy = s[3] / st;
      for (int64_t i = 0; i < n; ++i) o[i * io] = c[i * ic] != C(0) ? x[i * ix] : y[i * iy];
    }
  });
}

}  // namespace

void fill(const FillArgs& a) {
  if (a.out.dtype == DType::Bool) return fillTyped<uint8_t>(a, uint8_t(a.value != 0.0));
  NT_DISPATCH_ALL(a.out.dtype, [&] { fillTyped<T>(a, castValue<T>(a.value)); });
}

void copy(const CopyArgs& a) {
  const Operand* ops[2] = {&a.out, &a.in};
  const Loop<2> L = makeLoop<2>(a.shape, ops);
  const DType od = a.out.dtype, id = a.in.dtype;
  const bool sameBytes = od == id || (od == DType::UInt8 && id == DType::Bool);
  if (sameBytes) {
    switch (dtypeSize(od)) {
      case 1: return copyRaw<uint8_t>(L);
      case 4: return copyRaw<uint32_t>(L);
      default: return copyRaw<uint64_t>(L);
    }
  }
  NT_DISPATCH_ALL(id, [&] {
    using I = T;
    if (od == DType::Bool) return copyCast<uint8_t, true, I>(L);
    NT_DISPATCH_ALL(od, [&] { copyCast<T, false, I>(L); });
  });
}

void arange(const ArangeArgs& a) {
  const int64_t stride = a.out.strides[0];
  const bool toBool = a.out.dtype == DType::Bool;
  NT_DISPATCH_ALL(a.out.dtype, [&] {
    T* o = static_cast<T*>(a.out.data);
    parallelFor(0, a.n, kGrain, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) {
        const double v = a.start + static_cast<double>(i) * a.step;
        o[i * stride] = toBool ? T(v != 0.0) : castValue<T>(v);
      }
    });
  });
}

void unary(const UnaryArgs& a) {
  const Operand* ops[2] = {&a.out, &a.in};
  const Loop<2> L = makeLoop<2>(a.shape, ops);
  dispatchNumeric(a.in.dtype, std::string("unary(") + unaryName(a.op) + ")", [&](auto tag) {
    using T = typename decltype(tag)::type;
    if (unaryCommon<T>(a, L)) return;
    if constexpr (std::is_floating_point_v<T>) unaryFloat<T>(a, L);
    else unaryInt<T>(a, L);
  });
}

void binary(const BinaryArgs& a) {
  const Operand* ops[3] = {&a.out, &a.a, &a.b};
  const Loop<3> L = makeLoop<3>(a.shape, ops);
  const std::string name = std::string("binary(") + binaryName(a.op) + ")";
  if (a.a.dtype == DType::Bool) {  // Bool only compares or combines
    if (binaryToBool<uint8_t>(a, L)) return;
    dtypeError(name, "a numeric dtype", DType::Bool);
  }
  dispatchNumeric(a.a.dtype, name, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if (binaryToBool<T>(a, L)) return;
    binaryArith<T>(a, L);
  });
}

void where(const WhereArgs& a) {
  const Operand* ops[4] = {&a.out, &a.cond, &a.a, &a.b};
  const Loop<4> L = makeLoop<4>(a.shape, ops);
  NT_DISPATCH_ALL(a.cond.dtype, [&] {
    using C = T;
    switch (dtypeSize(a.out.dtype)) {  // only the bytes move: dispatch on width
      case 1: return runWhere<uint8_t, C>(L);
      case 4: return runWhere<uint32_t, C>(L);
      default: return runWhere<uint64_t, C>(L);
    }
  });
}

}  // namespace cpu
}  // namespace nt
