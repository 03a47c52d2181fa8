// The few cuDNN 9 entry points nodetorch uses (legacy activation and softmax
// API), declared by hand because cuDNN headers are not installed. Signatures
// and enum values match cudnn_ops.h / cudnn_graph.h of cuDNN 9. Loaded at run
// time by dynload.cpp; cuDNN is optional.
#pragma once
#include <cstddef>

#include <cuda_runtime_api.h>

extern "C" {
struct cudnnContext;
typedef struct cudnnContext* cudnnHandle_t;
struct cudnnTensorStruct;
typedef struct cudnnTensorStruct* cudnnTensorDescriptor_t;
struct cudnnActivationStruct;
typedef struct cudnnActivationStruct* cudnnActivationDescriptor_t;

typedef int cudnnStatus_t;  // 0 = CUDNN_STATUS_SUCCESS; other codes differ between 8 and 9
#define CUDNN_STATUS_SUCCESS 0

typedef enum { CUDNN_DATA_FLOAT = 0, CUDNN_DATA_DOUBLE = 1 } cudnnDataType_t;
typedef enum { CUDNN_TENSOR_NCHW = 0, CUDNN_TENSOR_NHWC = 1 } cudnnTensorFormat_t;
typedef enum {
  CUDNN_ACTIVATION_SIGMOID = 0,
  CUDNN_ACTIVATION_RELU = 1,
  CUDNN_ACTIVATION_TANH = 2,
  CUDNN_ACTIVATION_CLIPPED_RELU = 3,
  CUDNN_ACTIVATION_ELU = 4,
  CUDNN_ACTIVATION_IDENTITY = 5
} cudnnActivationMode_t;
typedef enum { CUDNN_NOT_PROPAGATE_NAN = 0, CUDNN_PROPAGATE_NAN = 1 } cudnnNanPropagation_t;
typedef enum { CUDNN_SOFTMAX_FAST = 0, CUDNN_SOFTMAX_ACCURATE = 1, CUDNN_SOFTMAX_LOG = 2 } cudnnSoftmaxAlgorithm_t;
typedef enum { CUDNN_SOFTMAX_MODE_INSTANCE = 0, CUDNN_SOFTMAX_MODE_CHANNEL = 1 } cudnnSoftmaxMode_t;

typedef size_t (*PFN_cudnnGetVersion)(void);
typedef const char* (*PFN_cudnnGetErrorString)(cudnnStatus_t);
typedef cudnnStatus_t (*PFN_cudnnCreate)(cudnnHandle_t*);
typedef cudnnStatus_t (*PFN_cudnnDestroy)(cudnnHandle_t);
typedef cudnnStatus_t (*PFN_cudnnSetStream)(cudnnHandle_t, cudaStream_t);
typedef cudnnStatus_t (*PFN_cudnnCreateTensorDescriptor)(cudnnTensorDescriptor_t*);
typedef cudnnStatus_t (*PFN_cudnnDestroyTensorDescriptor)(cudnnTensorDescriptor_t);
typedef cudnnStatus_t (*PFN_cudnnSetTensor4dDescriptor)(cudnnTensorDescriptor_t, cudnnTensorFormat_t, cudnnDataType_t,
                                                        int n, int c, int h, int w);
typedef cudnnStatus_t (*PFN_cudnnCreateActivationDescriptor)(cudnnActivationDescriptor_t*);
typedef cudnnStatus_t (*PFN_cudnnDestroyActivationDescriptor)(cudnnActivationDescriptor_t);
typedef cudnnStatus_t (*PFN_cudnnSetActivationDescriptor)(cudnnActivationDescriptor_t, cudnnActivationMode_t,
                                                          cudnnNanPropagation_t, double coef);
typedef cudnnStatus_t (*PFN_cudnnActivationForward)(cudnnHandle_t, cudnnActivationDescriptor_t, const void* alpha,
                                                    cudnnTensorDescriptor_t xDesc, const void* x, const void* beta,
                                                    cudnnTensorDescriptor_t yDesc, void* y);
typedef cudnnStatus_t (*PFN_cudnnActivationBackward)(cudnnHandle_t, cudnnActivationDescriptor_t, const void* alpha,
                                                     cudnnTensorDescriptor_t yDesc, const void* y,
                                                     cudnnTensorDescriptor_t dyDesc, const void* dy,
                                                     cudnnTensorDescriptor_t xDesc, const void* x, const void* beta,
                                                     cudnnTensorDescriptor_t dxDesc, void* dx);
typedef cudnnStatus_t (*PFN_cudnnSoftmaxForward)(cudnnHandle_t, cudnnSoftmaxAlgorithm_t, cudnnSoftmaxMode_t,
                                                 const void* alpha, cudnnTensorDescriptor_t xDesc, const void* x,
                                                 const void* beta, cudnnTensorDescriptor_t yDesc, void* y);
typedef cudnnStatus_t (*PFN_cudnnSoftmaxBackward)(cudnnHandle_t, cudnnSoftmaxAlgorithm_t, cudnnSoftmaxMode_t,
                                                  const void* alpha, cudnnTensorDescriptor_t yDesc, const void* y,
                                                  cudnnTensorDescriptor_t dyDesc, const void* dy, const void* beta,
                                                  cudnnTensorDescriptor_t dxDesc, void* dx);
}

// Batch norm (cudnn_ops.h of cuDNN 9: the legacy, deprecated but exported
// API). CUDNN_BN_MIN_EPSILON is 0.0 in cuDNN 9 (it was 1e-5 before 7.5).
extern "C" {
typedef enum {
  CUDNN_BATCHNORM_PER_ACTIVATION = 0,
  CUDNN_BATCHNORM_SPATIAL = 1,
  CUDNN_BATCHNORM_SPATIAL_PERSISTENT = 2
} cudnnBatchNormMode_t;
#define NT_CUDNN_BN_MIN_EPSILON 0.0

typedef cudnnStatus_t (*PFN_cudnnBatchNormalizationForwardTraining)(
    cudnnHandle_t, cudnnBatchNormMode_t, const void* alpha, const void* beta, cudnnTensorDescriptor_t xDesc,
    const void* x, cudnnTensorDescriptor_t yDesc, void* y, cudnnTensorDescriptor_t bnScaleBiasMeanVarDesc,
    const void* bnScale, const void* bnBias, double exponentialAverageFactor, void* resultRunningMean,
    void* resultRunningVariance, double epsilon, void* resultSaveMean, void* resultSaveInvVariance);
typedef cudnnStatus_t (*PFN_cudnnBatchNormalizationForwardInference)(
    cudnnHandle_t, cudnnBatchNormMode_t, const void* alpha, const void* beta, cudnnTensorDescriptor_t xDesc,
    const void* x, cudnnTensorDescriptor_t yDesc, void* y, cudnnTensorDescriptor_t bnScaleBiasMeanVarDesc,
    const void* bnScale, const void* bnBias, const void* estimatedMean, const void* estimatedVariance, double epsilon);
typedef cudnnStatus_t (*PFN_cudnnBatchNormalizationBackward)(
    cudnnHandle_t, cudnnBatchNormMode_t, const void* alphaDataDiff, const void* betaDataDiff,
    const void* alphaParamDiff, const void* betaParamDiff, cudnnTensorDescriptor_t xDesc, const void* x,
    cudnnTensorDescriptor_t dyDesc, const void* dy, cudnnTensorDescriptor_t dxDesc, void* dx,
    cudnnTensorDescriptor_t dBnScaleBiasDesc, const void* bnScale, void* dBnScaleResult, void* dBnBiasResult,
    double epsilon, const void* savedMean, const void* savedInvVariance);
}
