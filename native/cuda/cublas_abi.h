// The few cuBLAS entry points nodetorch uses, declared by hand because the
// cuBLAS headers are not part of a plain CUDA toolkit install. Signatures and
// enum values match cublas_api.h of cuBLAS 12 and 13 (C ABI; the *_v2 names
// are the exported symbols). Loaded at run time by dynload.cpp.
#pragma once
#include <cuda_runtime_api.h>

extern "C" {
struct cublasContext;
typedef struct cublasContext* cublasHandle_t;

typedef enum {
  CUBLAS_STATUS_SUCCESS = 0,
  CUBLAS_STATUS_NOT_INITIALIZED = 1,
  CUBLAS_STATUS_ALLOC_FAILED = 3,
  CUBLAS_STATUS_INVALID_VALUE = 7,
  CUBLAS_STATUS_ARCH_MISMATCH = 8,
  CUBLAS_STATUS_MAPPING_ERROR = 11,
  CUBLAS_STATUS_EXECUTION_FAILED = 13,
  CUBLAS_STATUS_INTERNAL_ERROR = 14,
  CUBLAS_STATUS_NOT_SUPPORTED = 15,
  CUBLAS_STATUS_LICENSE_ERROR = 16
} cublasStatus_t;

typedef enum { CUBLAS_OP_N = 0, CUBLAS_OP_T = 1, CUBLAS_OP_C = 2 } cublasOperation_t;

typedef enum {
  CUBLAS_DEFAULT_MATH = 0,
  CUBLAS_TENSOR_OP_MATH = 1,
  CUBLAS_PEDANTIC_MATH = 2,
  CUBLAS_TF32_TENSOR_OP_MATH = 3,
  CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION = 16
} cublasMath_t;

typedef cublasStatus_t (*PFN_cublasCreate_v2)(cublasHandle_t*);
typedef cublasStatus_t (*PFN_cublasDestroy_v2)(cublasHandle_t);
typedef cublasStatus_t (*PFN_cublasSetStream_v2)(cublasHandle_t, cudaStream_t);
typedef cublasStatus_t (*PFN_cublasSetMathMode)(cublasHandle_t, cublasMath_t);
typedef cublasStatus_t (*PFN_cublasGetVersion_v2)(cublasHandle_t, int*);
typedef const char* (*PFN_cublasGetStatusString)(cublasStatus_t);
typedef cublasStatus_t (*PFN_cublasSgemm_v2)(cublasHandle_t, cublasOperation_t, cublasOperation_t, int m, int n, int k,
                                             const float* alpha, const float* A, int lda, const float* B, int ldb,
                                             const float* beta, float* C, int ldc);
typedef cublasStatus_t (*PFN_cublasDgemm_v2)(cublasHandle_t, cublasOperation_t, cublasOperation_t, int m, int n, int k,
                                             const double* alpha, const double* A, int lda, const double* B, int ldb,
                                             const double* beta, double* C, int ldc);
typedef cublasStatus_t (*PFN_cublasSgemmStridedBatched)(cublasHandle_t, cublasOperation_t, cublasOperation_t, int m,
                                                        int n, int k, const float* alpha, const float* A, int lda,
                                                        long long int strideA, const float* B, int ldb,
                                                        long long int strideB, const float* beta, float* C, int ldc,
                                                        long long int strideC, int batchCount);
typedef cublasStatus_t (*PFN_cublasDgemmStridedBatched)(cublasHandle_t, cublasOperation_t, cublasOperation_t, int m,
                                                        int n, int k, const double* alpha, const double* A, int lda,
                                                        long long int strideA, const double* B, int ldb,
                                                        long long int strideB, const double* beta, double* C, int ldc,
                                                        long long int strideC, int batchCount);
}
