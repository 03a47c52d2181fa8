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
// This file names no unary/binary op: each op's formula and the dtypes it
// accepts are in common/elementwise_ops.h (shared with CUDA); the loops are
// instantiated per op by visiting the op code (common/op_visit.h).
// Integer semantics are documented there.

// Contraction of a * b + c into an FMA is off in this file, so every
// operation rounds on its own as in the CUDA kernels (common/arith.h).
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#include <cmath>
#include <cstring>
#include <string>
#include <type_traits>

#include "common/elementwise_check.h"
#include "common/elementwise_ops.h"
#include "common/op_visit.h"
#include "cpu/elementwise_fast.h"
#include "cpu/kernels_cpu.h"
#include "cpu/loops.h"

namespace nt {
namespace cpu {
namespace {

// Calls f(T{}) for the C type of a numeric dtype (Bool is rejected by the
// callers' checks before this).
template <class F>
void dispatchNumeric(DType d, F&& f) {
  switch (d) {
    case DType::Float32: return f(float{});
    case DType::Float64: return f(double{});
    case DType::Int32: return f(int32_t{});
    case DType::Int64: return f(int64_t{});
    default: return f(uint8_t{});  // UInt8 (and Bool, stored as uint8)
  }
}

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

// fastRow, when given, replaces op on contiguous runs (elementwise_fast.h).
template <class T, class Op>
void runUnary(const Loop<2>& L, Op op, void (*fastRow)(T*, const T*, int64_t)) {
  forEachRun(L, [&](char** p, const int64_t* s, int64_t n) {
    T* o = reinterpret_cast<T*>(p[0]);
    const T* x = reinterpret_cast<const T*>(p[1]);
    if (s[0] == sizeof(T) && s[1] == sizeof(T)) {
      if (fastRow) fastRow(o, x, n);
      else unaryContig(o, x, n, op);
    } else {
      const int64_t so = s[0] / int64_t(sizeof(T)), sx = s[1] / int64_t(sizeof(T));
      for (int64_t i = 0; i < n; ++i) o[i * so] = op(x[i * sx]);
    }
  });
}

// out = Op(in) for every element; T is the dtype of both.
template <class T>
void unaryTyped(const UnaryArgs& a, const Loop<2>& L) {
  const ew::UnaryParams<T> q = ew::makeUnaryParams<T>(a.p0, a.p1);
  void (*fastRow)(T*, const T*, int64_t) = nullptr;
  if constexpr (std::is_same_v<T, float>) fastRow = fastUnaryRowF32(a.op);
  visitOp(a.op, [&](auto op) {
    using F = ew::UnaryFormula<decltype(op)::value>;
    if constexpr (ew::inDomain<T>(F::kDomain))
      runUnary<T>(
          L, [q](T x) { return F::template apply<T>(x, q); }, fastRow);
  });
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

// fastRow, when given, replaces op on all-contiguous runs (elementwise_fast.h).
template <class O, class T, class Op>
void runBinary(const Loop<3>& L, Op op, void (*fastRow)(O*, const T*, const T*, int64_t)) {
  forEachRun(L, [&](char** p, const int64_t* s, int64_t n) {
    O* o = reinterpret_cast<O*>(p[0]);
    const T* x = reinterpret_cast<const T*>(p[1]);
    const T* y = reinterpret_cast<const T*>(p[2]);
    constexpr int64_t so = sizeof(O), st = sizeof(T);
    if (s[0] == so && s[1] == st && s[2] == st) {
      if (fastRow) fastRow(o, x, y, n);
      else binContig(o, x, y, n, op);
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

// out = Op(a, b) for every element; T is the dtype of a and b, the output
// is T or Bool (comparisons).
template <class T>
void binaryTyped(const BinaryArgs& a, const Loop<3>& L) {
  const T alpha = castValue<T>(a.alpha);
  visitOp(a.op, [&](auto op) {
    constexpr BinaryOp kOp = decltype(op)::value;
    using F = ew::BinaryFormula<kOp>;
    using O = ew::BinaryOut<kOp, T>;
    if constexpr (ew::inDomain<T>(F::kDomain)) {
      void (*fastRow)(O*, const T*, const T*, int64_t) = nullptr;
      if constexpr (std::is_same_v<O, float> && std::is_same_v<T, float>) fastRow = fastBinaryRowF32(kOp);
      runBinary<O, T>(
          L, [alpha](T x, T y) { return F::template apply<T>(x, y, alpha); }, fastRow);
    }
  });
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
        const double v = ew::arangeValue(a.start, a.step, i);
        o[i * stride] = toBool ? T(v != 0.0) : castValue<T>(v);
      }
    });
  });
}

void unary(const UnaryArgs& a) {
  ew::checkUnary(a.op, a.in.dtype);
  const Operand* ops[2] = {&a.out, &a.in};
  const Loop<2> L = makeLoop<2>(a.shape, ops);
  dispatchNumeric(a.in.dtype, [&](auto t) { unaryTyped<decltype(t)>(a, L); });
}

void binary(const BinaryArgs& a) {
  ew::checkBinary(a.op, a.a.dtype);
  const Operand* ops[3] = {&a.out, &a.a, &a.b};
  const Loop<3> L = makeLoop<3>(a.shape, ops);
  dispatchNumeric(a.a.dtype, [&](auto t) { binaryTyped<decltype(t)>(a, L); });
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
