// CPU GEMM: OpenBLAS when there (cpu/blas_dynload.h), else the portable
// cache-blocked fallback in gemm_fallback.cpp.
#pragma once
#include <string>

#include "common/kernel_api.h"

namespace nt {
namespace cpu {

// Each GEMM thread gets at least this many multiply-adds (OpenBLAS, the
// built-in kernel and the small-shape kernel alike): below, waking a thread
// costs more than it saves (64x500x10 is faster on one thread).
constexpr double kMacsPerThread = 1.0e6;

void gemm(const GemmArgs& args);

// Name of the GEMM provider: "openblas" or "fallback".
const char* gemmProvider();
// What actually runs, e.g. "OpenBLAS (Haswell kernels); built-in avx512 kernel for wide shapes".
std::string gemmDetail();
// Thread count used by GEMM (OpenBLAS's own pool or ours).
void gemmSetNumThreads(int n);

// The portable fallback, always compiled (tests compare it with OpenBLAS).
void gemmFallback(const GemmArgs& args);

}  // namespace cpu
}  // namespace nt
