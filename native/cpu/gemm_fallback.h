// Helpers shared by gemm.cpp (OpenBLAS path) and gemm_fallback.cpp.
#pragma once
#include "common/kernel_api.h"

namespace nt {
namespace cpu {

// C[b] = beta * C[b] for every batch (beta == 0 writes zeros without reading
// C, as BLAS does). Used when K == 0 or alpha == 0, where op(A) @ op(B) is
// not needed.
void gemmScaleC(const GemmArgs& args);

// What both GEMM entry points do first: reject non-float dtypes (DType
// error), and finish the cases needing no product (an empty C; K == 0 or
// alpha == 0 via gemmScaleC). Returns true when the call is complete.
bool gemmHandledWithoutProduct(const GemmArgs& args);

// Instruction set of the fallback's micro-kernel on this CPU: "avx512",
// "avx2" or "generic" (NODETORCH_GEMM_ISA=generic|avx2 caps it).
const char* gemmFallbackIsa();

// Thread count every GEMM path may use (>= 1: the fallback, OpenBLAS split
// over the pool, the small-shape kernel); gemmSetNumThreads sets it.
int gemmFallbackThreads();
void gemmFallbackSetThreads(int n);

}  // namespace cpu
}  // namespace nt
