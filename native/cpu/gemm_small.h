// Small-M GEMM with B transposed, C = alpha * A @ B^T + beta * C (A stored
// M x K, B stored N x K, both contiguous along K): the shape of nn.Linear's
// forward pass at training batch sizes. Dot-product register tiles read A
// and B in place, so the N x K weight is never packed (packing it is most of
// OpenBLAS's overhead at M = 64). Runs only where it measured faster than
// OpenBLAS and the fallback (docs/benchmark-notes.md).
#pragma once
#include "common/kernel_api.h"

namespace nt {
namespace cpu {

// True when gemmSmall takes these arguments on this CPU: float32, A not
// transposed, B transposed, C rows that do not overlap, a shape where it
// measured faster (few rows, or a narrow output; see gemm_small.cpp), and
// the AVX2+FMA kernel available and not capped away (NODETORCH_GEMM_ISA=
// generic, or an AVX-512 CPU, where it was never measured).
bool gemmSmallApplies(const GemmArgs& args);

// Whether this CPU runs the kernel at all (AVX2+FMA, not capped away): for
// gemmDetail().
bool gemmSmallAvailable();

// Runs the product; the caller checked gemmSmallApplies (and K > 0,
// alpha != 0, non-empty C). Threads over column blocks, at most `threads`.
void gemmSmall(const GemmArgs& args, int threads);

}  // namespace cpu
}  // namespace nt
