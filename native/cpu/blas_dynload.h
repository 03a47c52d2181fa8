// OpenBLAS, reached through four entry points: linked in (a build with
// NT_HAVE_OPENBLAS, static libopenblas.a) or opened at run time with dlopen
// by soname (NT_OPENBLAS_DLOPEN: Debian's libopenblas0 is libopenblas.so.0),
// declaring only the C ABI used, so the build needs no OpenBLAS at all and the
// binary stays small. Without either, or when dlopen finds nothing, GEMM runs
// on the built-in kernel and blasUnavailableReason() says why.
#pragma once
#include <string>

namespace nt {
namespace cpu {

// The CBLAS enum values (cblas.h; the same in every CBLAS).
enum BlasOrder { kBlasRowMajor = 101 };
enum BlasTranspose { kBlasNoTrans = 111, kBlasTrans = 112 };

struct BlasApi {
  void (*sgemm)(int order, int ta, int tb, int m, int n, int k, float alpha, const float* A, int lda, const float* B,
                int ldb, float beta, float* C, int ldc);
  void (*dgemm)(int order, int ta, int tb, int m, int n, int k, double alpha, const double* A, int lda, const double* B,
                int ldb, double beta, double* C, int ldc);
  void (*setNumThreads)(int n);
  char* (*coreName)();
  // Where it came from: "linked (static)" or the path dlopen resolved.
  std::string origin;
};

// OpenBLAS when usable (resolved once, thread-safe), else nullptr.
const BlasApi* blas();
// Why blas() is null: the sonames tried and dlopen's answers. Empty when usable.
std::string blasUnavailableReason();

}  // namespace cpu
}  // namespace nt
