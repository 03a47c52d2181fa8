// Vectorized float32 row kernels for the unary/binary ops whose formula
// calls exp: the generic loops call libm's expf, one opaque call per
// element; these call vec_exp.h's exp, which GCC vectorizes (one copy per
// ISA). The formulas are the shared ones of common/scalar_ops.h with only
// the exp swapped, so the results differ from the generic loop by the
// exp's ~1.5 ulp at most.
#pragma once
#include <cstdint>

#include "common/codes.gen.h"

namespace nt {
namespace cpu {

using UnaryRowF32 = void (*)(float* o, const float* x, int64_t n);
using BinaryRowF32 = void (*)(float* o, const float* a, const float* b, int64_t n);

// The row kernel for op on contiguous float32 rows, or nullptr if it has none.
UnaryRowF32 fastUnaryRowF32(UnaryOp op);
BinaryRowF32 fastBinaryRowF32(BinaryOp op);

}  // namespace cpu
}  // namespace nt
