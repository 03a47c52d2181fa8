// GEMM through cuBLAS (loaded at run time, see dynload.cpp). Row-major
// C = op(A) op(B) is computed as the column-major C^T = op(B)^T op(A)^T:
// the memory of a row-major matrix read column-major is its transpose, so
// the operands swap places and keep their own transpose flags. Batches use
// the strided-batched entry points (a batch stride of 0 broadcasts).
#include <climits>
#include <mutex>
#include <string>

#include "cuda/kernels.h"

namespace nt {
namespace cuda {
namespace {

void checkStatus(cublasStatus_t s, const char* fn) {
  if (s != CUBLAS_STATUS_SUCCESS)
    throw Error(ErrorKind::Cuda, std::string("gemm: ") + fn + " failed: " + cublasStatusText(s));
}

int toInt(int64_t v, const char* what) {
  if (v < 0 || v > INT_MAX)
    throw Error(ErrorKind::Argument, std::string("gemm: ") + what + " in [0, 2^31), got " + std::to_string(v));
  return static_cast<int>(v);
}

}  // namespace

// C[b] (M x N, ldc) = alpha * op(A[b]) (M x K) @ op(B[b]) (K x N) + beta * C[b]
void cublasGemm(const Ctx& c, const GemmArgs& a, bool allowTF32) {
  if (a.batch <= 0 || a.M == 0 || a.N == 0) return;
  const int m = toInt(a.N, "N"), n = toInt(a.M, "M"), k = toInt(a.K, "K");
  const int batch = toInt(a.batch, "batch");
  // cuBLAS rejects ld < 1 even when the matrix is empty (K == 0).
  const int ldx = toInt(a.ldb < 1 ? 1 : a.ldb, "ldb"), ldy = toInt(a.lda < 1 ? 1 : a.lda, "lda");
  const int ldc = toInt(a.ldc < 1 ? 1 : a.ldc, "ldc");
  const cublasOperation_t opX = a.transB ? CUBLAS_OP_T : CUBLAS_OP_N;
  const cublasOperation_t opY = a.transA ? CUBLAS_OP_T : CUBLAS_OP_N;
  const CublasApi& cb = *c.cublas;
  std::lock_guard<std::mutex> lock(*c.cublasMutex);  // math mode and call belong together
  if (a.dtype == DType::Float32) {
    checkStatus(cb.setMathMode(c.cublasHandle, allowTF32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH),
                "cublasSetMathMode");
    const float alpha = float(a.alpha), beta = float(a.beta);
    const float* X = static_cast<const float*>(a.B);
    const float* Y = static_cast<const float*>(a.A);
    float* C = static_cast<float*>(a.C);
    if (batch == 1)
      checkStatus(cb.sgemm(c.cublasHandle, opX, opY, m, n, k, &alpha, X, ldx, Y, ldy, &beta, C, ldc), "cublasSgemm_v2");
    else
      checkStatus(cb.sgemmStridedBatched(c.cublasHandle, opX, opY, m, n, k, &alpha, X, ldx, a.strideB, Y, ldy,
                                         a.strideA, &beta, C, ldc, a.strideC, batch),
                  "cublasSgemmStridedBatched");
  } else if (a.dtype == DType::Float64) {
    checkStatus(cb.setMathMode(c.cublasHandle, CUBLAS_DEFAULT_MATH), "cublasSetMathMode");
    const double alpha = a.alpha, beta = a.beta;
    const double* X = static_cast<const double*>(a.B);
    const double* Y = static_cast<const double*>(a.A);
    double* C = static_cast<double*>(a.C);
    if (batch == 1)
      checkStatus(cb.dgemm(c.cublasHandle, opX, opY, m, n, k, &alpha, X, ldx, Y, ldy, &beta, C, ldc), "cublasDgemm_v2");
    else
      checkStatus(cb.dgemmStridedBatched(c.cublasHandle, opX, opY, m, n, k, &alpha, X, ldx, a.strideB, Y, ldy,
                                         a.strideA, &beta, C, ldc, a.strideC, batch),
                  "cublasDgemmStridedBatched");
  } else {
    throw Error(ErrorKind::DType, std::string("gemm: expected float32 or float64, got ") + dtypeName(a.dtype));
  }
}

}  // namespace cuda
}  // namespace nt
