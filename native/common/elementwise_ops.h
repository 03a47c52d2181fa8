// The formula of every elementwise op, written once for the CPU loops
// (cpu/elementwise.cpp) and the CUDA kernels (cuda/elementwise.cu).
//
// UnaryFormula<op> / BinaryFormula<op> hold one op each: kDomain (which
// dtypes it accepts) and apply(). The backends never name an op: they visit
// the run-time op code (common/op_visit.h) and get the formula as a type, so
// the op list is the enum itself and a missing formula is a compile error.
//
// Adding an elementwise op touches:
//   1. the enum entry (UnaryOp / BinaryOp in common/kernel_api.h) and its name;
//   2. one NT_UNARY / NT_BINARY block below (formula + domain);
//   3. its derivative in the backward table (lib/);
//   4. its test (test/tensor_elementwise.test.ts).
// Nothing in cpu/elementwise.cpp or cuda/elementwise.cu.
//
// Semantics shared by both backends: integer arithmetic wraps, integer
// x / 0 == 0, Maximum/Minimum/Clamp/Relu propagate NaN, Sign and Round keep
// NaN and +-0, Round is half to even. A product feeding a sum is written
// with mulRn/addRn (common/arith.h) so CPU and CUDA round it the same way.
#pragma once
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "arith.h"
#include "cast.h"
#include "hd.h"
#include "kernel_api.h"
#include "scalar_ops.h"

namespace nt {
namespace ew {

#ifndef __CUDACC__
// Host code: the float overloads for T = float (device code gets them from CUDA).
using std::ceil;
using std::cos;
using std::erf;
using std::exp;
using std::expm1;
using std::fabs;
using std::floor;
using std::log;
using std::log1p;
using std::pow;
using std::rint;
using std::sin;
using std::sqrt;
using std::tanh;
#endif
using scalar::addAny;
using scalar::addRn;
using scalar::intDiv;
using scalar::mulAny;
using scalar::mulRn;
using scalar::subAny;
using scalar::subRn;
using scalar::wrapSub;

// Dtypes an op accepts. Numeric: float32/64, int32/64, uint8 (output = input
// dtype). Float: float32/64 only. Compare: every dtype, Bool included, with
// a Bool output. Unary ops never take Bool.
enum class Domain { Numeric, Float, Compare };

template <typename T>
constexpr bool inDomain(Domain d) {
  return d != Domain::Float || std::is_floating_point<T>::value;
}
template <typename T>
constexpr bool kFloat = std::is_floating_point<T>::value;

// A unary op's scalar parameters (p0, p1 of UnaryArgs) as T, converted once
// on the host: c = p0 (saturating for integers); Clamp bounds lo, hi.
template <typename T>
struct UnaryParams {
  T c, lo, hi;
};

template <typename T>
inline UnaryParams<T> makeUnaryParams(double p0, double p1) {
  UnaryParams<T> q;
  q.c = castValue<T>(p0);
  if constexpr (kFloat<T>) {
    q.lo = T(p0);
    q.hi = T(p1);
  } else {  // integer bounds rounded inward and saturated; NaN means unbounded
    q.lo = std::isnan(p0) ? std::numeric_limits<T>::lowest() : castValue<T>(std::ceil(p0));
    q.hi = std::isnan(p1) ? std::numeric_limits<T>::max() : castValue<T>(std::floor(p1));
  }
  return q;
}

template <UnaryOp Op>
struct UnaryFormula;  // one specialization per op
template <BinaryOp Op>
struct BinaryFormula;  // one specialization per op

#define NT_UNARY(Name, Dom)                        \
  template <>                                      \
  struct UnaryFormula<UnaryOp::Name> {             \
    static constexpr Domain kDomain = Domain::Dom; \
    template <typename T>                          \
    NT_HD static T apply(T x, const UnaryParams<T>& q)

#define NT_BINARY(Name, Dom)                       \
  template <>                                      \
  struct BinaryFormula<BinaryOp::Name> {           \
    static constexpr Domain kDomain = Domain::Dom; \
    template <typename T>                          \
    NT_HD static auto apply(T a, T b, T alpha)

// ---- unary: x, parameters q ------------------------------------------------

NT_UNARY(Neg, Numeric) {
  if constexpr (kFloat<T>) return -x;
  else return wrapSub(T(0), x);
}
};
NT_UNARY(Abs, Numeric) {
  if constexpr (kFloat<T>) return fabs(x);
  else if constexpr (std::is_signed<T>::value) return x < T(0) ? wrapSub(T(0), x) : x;
  else return x;
}
};
NT_UNARY(Exp, Float) { return exp(x); }
}
;
NT_UNARY(Log, Float) { return log(x); }
}
;
NT_UNARY(Sqrt, Float) { return sqrt(x); }
}
;
NT_UNARY(Rsqrt, Float) { return T(1) / sqrt(x); }
}
;
NT_UNARY(Sigmoid, Float) { return scalar::sigmoid(x); }
}
;
NT_UNARY(Tanh, Float) { return tanh(x); }
}
;
NT_UNARY(Relu, Numeric) { return scalar::relu(x); }
}
;
NT_UNARY(Gelu, Float) { return scalar::gelu(x); }
}
;
NT_UNARY(Sin, Float) { return sin(x); }
}
;
NT_UNARY(Cos, Float) { return cos(x); }
}
;
NT_UNARY(Sign, Numeric) {
  if constexpr (kFloat<T>) return x > T(0) ? T(1) : x < T(0) ? T(-1) : x;  // NaN, +-0 kept
  else if constexpr (std::is_signed<T>::value) return T((x > T(0)) - (x < T(0)));
  else return T(x > T(0));
}
}
;
NT_UNARY(Square, Numeric) { return mulAny(x, x); }
}
;
NT_UNARY(Reciprocal, Float) { return T(1) / x; }
}
;
NT_UNARY(Floor, Float) { return floor(x); }
}
;
NT_UNARY(Ceil, Float) { return ceil(x); }
}
;
NT_UNARY(Round, Float) { return rint(x); }
}
;  // half to even (default rounding mode)
NT_UNARY(Log1p, Float) { return log1p(x); }
}
;
NT_UNARY(Expm1, Float) { return expm1(x); }
}
;
NT_UNARY(AddScalar, Numeric) { return addAny(x, q.c); }
}
;
NT_UNARY(MulScalar, Numeric) { return mulAny(x, q.c); }
}
;
NT_UNARY(PowScalar, Float) { return q.c == T(2) ? x * x : pow(x, q.c); }
}
;
NT_UNARY(RsubScalar, Numeric) { return subAny(q.c, x); }
}
;
NT_UNARY(RdivScalar, Float) { return q.c / x; }
}
;
NT_UNARY(Clamp, Numeric) {  // min(max(x, lo), hi) as std::min/max: NaN x stays NaN
  const T m = x < q.lo ? q.lo : x;
  return q.hi < m ? q.hi : m;
}
}
;
NT_UNARY(LeakyRelu, Float) { return x > T(0) ? x : q.c * x; }
}
;
NT_UNARY(Silu, Float) { return scalar::silu(x); }
}
;
NT_UNARY(Softplus, Float) {  // p0 = beta (q.c), p1 = threshold (q.hi), as PyTorch's softplus
  const T bx = mulRn(x, q.c);
  return bx > q.hi ? x : log1p(exp(bx)) / q.c;
}
}
;
NT_UNARY(Erf, Float) { return erf(x); }
}
;
NT_UNARY(GeluTanh, Float) { return scalar::geluTanh(x); }
}
;

// ---- binary: a, b, alpha (Add/Sub only) --------------------------------------

NT_BINARY(Add, Numeric) { return alpha == T(1) ? addAny(a, b) : addAny(a, mulAny(alpha, b)); }
}
;
NT_BINARY(Sub, Numeric) { return alpha == T(1) ? subAny(a, b) : subAny(a, mulAny(alpha, b)); }
}
;
NT_BINARY(Mul, Numeric) { return mulAny(a, b); }
}
;
NT_BINARY(Div, Numeric) {
  if constexpr (kFloat<T>) return T(a / b);
  else return intDiv(a, b);
}
}
;
NT_BINARY(Pow, Float) { return T(pow(a, b)); }
}
;
NT_BINARY(Maximum, Numeric) { return (a > b || a != a) ? a : b; }
}
;  // NaN in either gives NaN
NT_BINARY(Minimum, Numeric) { return (a < b || a != a) ? a : b; }
}
;
NT_BINARY(Eq, Compare) { return uint8_t(a == b); }
}
;
NT_BINARY(Ne, Compare) { return uint8_t(a != b); }
}
;
NT_BINARY(Lt, Compare) { return uint8_t(a < b); }
}
;
NT_BINARY(Le, Compare) { return uint8_t(a <= b); }
}
;
NT_BINARY(Gt, Compare) { return uint8_t(a > b); }
}
;
NT_BINARY(Ge, Compare) { return uint8_t(a >= b); }
}
;
NT_BINARY(ReluBackward, Float) { return b > T(0) ? a : T(0); }
}
;  // a = grad, b = x
NT_BINARY(SigmoidBackward, Float) { return T(a * b * (T(1) - b)); }
}
;  // b = y
NT_BINARY(TanhBackward, Float) { return mulRn(a, subRn(T(1), mulRn(b, b))); }
}
;  // b = y
NT_BINARY(GeluBackward, Float) { return T(a * scalar::geluGrad(b)); }
}
;  // b = x
NT_BINARY(SiluBackward, Float) { return scalar::siluBackward(a, b); }
}
;
NT_BINARY(LogicalAnd, Compare) { return uint8_t(a != T(0) && b != T(0)); }
}
;
NT_BINARY(LogicalOr, Compare) { return uint8_t(a != T(0) || b != T(0)); }
}
;
NT_BINARY(GeluTanhBackward, Float) { return T(a * scalar::geluTanhGrad(b)); }
}
;  // b = x

#undef NT_UNARY
#undef NT_BINARY

// arange's element i: start + i * step, each operation rounded on its own.
NT_HD double arangeValue(double start, double step, int64_t i) {
  return scalar::addRn(start, scalar::mulRn(static_cast<double>(i), step));
}

// Output element type of binary op Op on inputs of type T.
template <BinaryOp Op, typename T>
using BinaryOut = typename std::conditional<BinaryFormula<Op>::kDomain == Domain::Compare, uint8_t, T>::type;

}  // namespace ew
}  // namespace nt
