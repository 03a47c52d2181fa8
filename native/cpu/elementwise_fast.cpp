// See elementwise_fast.h. Contraction stays off, as in elementwise.cpp, so
// each step rounds as the generic loop's does.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math", "fp-contract=off")
#elif defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif
#include "cpu/elementwise_fast.h"

#include "common/scalar_ops.h"
#include "cpu/vec_exp.h"

namespace nt {
namespace cpu {
namespace {

struct VecExp {
  NT_ALWAYS_INLINE float operator()(float x) const { return expVec(x); }
};

NT_VEC_CLONES void geluTanhRow(float* __restrict o, const float* __restrict x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) o[i] = scalar::geluTanh(x[i], VecExp{});
}
NT_VEC_CLONES void siluRow(float* __restrict o, const float* __restrict x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) o[i] = scalar::silu(x[i], VecExp{});
}
NT_VEC_CLONES void sigmoidRow(float* __restrict o, const float* __restrict x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) o[i] = scalar::sigmoid(x[i], VecExp{});
}
// a = grad, b = x, as the ops' generic formulas.
NT_VEC_CLONES void geluTanhBackwardRow(float* __restrict o, const float* __restrict a, const float* __restrict b,
                                       int64_t n) {
  for (int64_t i = 0; i < n; ++i) o[i] = a[i] * scalar::geluTanhGrad(b[i], VecExp{});
}
NT_VEC_CLONES void siluBackwardRow(float* __restrict o, const float* __restrict a, const float* __restrict b,
                                   int64_t n) {
  for (int64_t i = 0; i < n; ++i) o[i] = scalar::siluBackward(a[i], b[i], VecExp{});
}

}  // namespace

UnaryRowF32 fastUnaryRowF32(UnaryOp op) {
  switch (op) {
    case UnaryOp::GeluTanh: return geluTanhRow;
    case UnaryOp::Silu: return siluRow;
    case UnaryOp::Sigmoid: return sigmoidRow;
    default: return nullptr;
  }
}

BinaryRowF32 fastBinaryRowF32(BinaryOp op) {
  switch (op) {
    case BinaryOp::GeluTanhBackward: return geluTanhBackwardRow;
    case BinaryOp::SiluBackward: return siluBackwardRow;
    default: return nullptr;
  }
}

}  // namespace cpu
}  // namespace nt
