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

// ---- Convolution (legacy API, issue 12). Types, enum values and signatures
// follow cuDNN 9.6.0's cudnn_ops.h (filter descriptor, algorithm enums,
// cudnnDeterminism_t), cudnn_graph.h (cudnnMathType_t,
// cudnnConvolutionMode_t) and cudnn_cnn.h (convolution descriptor, the
// *AlgoPerf_t structs and the entry points, exported by libcudnn.so.9, which
// forwards them to libcudnn_cnn.so.9). Unchanged since cuDNN 8.
// scripts/check-cudnn-abi.sh compares this whole file with real cuDNN
// headers (signatures, enum values, struct layouts): matched 9.6.0.
struct cudnnFilterStruct;
typedef struct cudnnFilterStruct* cudnnFilterDescriptor_t;
struct cudnnConvolutionStruct;
typedef struct cudnnConvolutionStruct* cudnnConvolutionDescriptor_t;

typedef enum {
  CUDNN_DEFAULT_MATH = 0,  // lets cuDNN use TF32 tensor cores for float32 on Ampere and newer
  CUDNN_TENSOR_OP_MATH = 1,
  CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION = 2,
  CUDNN_FMA_MATH = 3  // FMA kernels only: float32 stays float32
} cudnnMathType_t;
typedef enum { CUDNN_CONVOLUTION = 0, CUDNN_CROSS_CORRELATION = 1 } cudnnConvolutionMode_t;
typedef enum { CUDNN_NON_DETERMINISTIC = 0, CUDNN_DETERMINISTIC = 1 } cudnnDeterminism_t;
typedef enum {
  CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM = 0,
  CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM = 1,
  CUDNN_CONVOLUTION_FWD_ALGO_GEMM = 2,
  CUDNN_CONVOLUTION_FWD_ALGO_DIRECT = 3,
  CUDNN_CONVOLUTION_FWD_ALGO_FFT = 4,
  CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING = 5,
  CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD = 6,
  CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED = 7,
  CUDNN_CONVOLUTION_FWD_ALGO_COUNT = 8
} cudnnConvolutionFwdAlgo_t;
typedef enum {
  CUDNN_CONVOLUTION_BWD_FILTER_ALGO_0 = 0,
  CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1 = 1,
  CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT = 2,
  CUDNN_CONVOLUTION_BWD_FILTER_ALGO_3 = 3,
  CUDNN_CONVOLUTION_BWD_FILTER_ALGO_WINOGRAD = 4,
  CUDNN_CONVOLUTION_BWD_FILTER_ALGO_WINOGRAD_NONFUSED = 5,
  CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT_TILING = 6,
  CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT = 7
} cudnnConvolutionBwdFilterAlgo_t;
typedef enum {
  CUDNN_CONVOLUTION_BWD_DATA_ALGO_0 = 0,
  CUDNN_CONVOLUTION_BWD_DATA_ALGO_1 = 1,
  CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT = 2,
  CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT_TILING = 3,
  CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD = 4,
  CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD_NONFUSED = 5,
  CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT = 6
} cudnnConvolutionBwdDataAlgo_t;

// The three perf structs share one layout; status is the cudnnStatus_t enum
// (an int, as cudnnStatus_t is declared here).
typedef struct cudnnConvolutionFwdAlgoPerfStruct {
  cudnnConvolutionFwdAlgo_t algo;
  cudnnStatus_t status;
  float time;
  size_t memory;
  cudnnDeterminism_t determinism;
  cudnnMathType_t mathType;
  int reserved[3];
} cudnnConvolutionFwdAlgoPerf_t;
typedef struct cudnnConvolutionBwdDataAlgoPerfStruct {
  cudnnConvolutionBwdDataAlgo_t algo;
  cudnnStatus_t status;
  float time;
  size_t memory;
  cudnnDeterminism_t determinism;
  cudnnMathType_t mathType;
  int reserved[3];
} cudnnConvolutionBwdDataAlgoPerf_t;
typedef struct cudnnConvolutionBwdFilterAlgoPerfStruct {
  cudnnConvolutionBwdFilterAlgo_t algo;
  cudnnStatus_t status;
  float time;
  size_t memory;
  cudnnDeterminism_t determinism;
  cudnnMathType_t mathType;
  int reserved[3];
} cudnnConvolutionBwdFilterAlgoPerf_t;

typedef cudnnStatus_t (*PFN_cudnnCreateFilterDescriptor)(cudnnFilterDescriptor_t*);
typedef cudnnStatus_t (*PFN_cudnnDestroyFilterDescriptor)(cudnnFilterDescriptor_t);
typedef cudnnStatus_t (*PFN_cudnnSetFilter4dDescriptor)(cudnnFilterDescriptor_t, cudnnDataType_t, cudnnTensorFormat_t,
                                                        int k, int c, int h, int w);
typedef cudnnStatus_t (*PFN_cudnnCreateConvolutionDescriptor)(cudnnConvolutionDescriptor_t*);
typedef cudnnStatus_t (*PFN_cudnnDestroyConvolutionDescriptor)(cudnnConvolutionDescriptor_t);
typedef cudnnStatus_t (*PFN_cudnnSetConvolution2dDescriptor)(cudnnConvolutionDescriptor_t, int pad_h, int pad_w, int u,
                                                             int v, int dilation_h, int dilation_w,
                                                             cudnnConvolutionMode_t, cudnnDataType_t computeType);
typedef cudnnStatus_t (*PFN_cudnnSetConvolutionGroupCount)(cudnnConvolutionDescriptor_t, int groupCount);
typedef cudnnStatus_t (*PFN_cudnnSetConvolutionMathType)(cudnnConvolutionDescriptor_t, cudnnMathType_t);
typedef cudnnStatus_t (*PFN_cudnnGetConvolution2dForwardOutputDim)(const cudnnConvolutionDescriptor_t,
                                                                   const cudnnTensorDescriptor_t inputTensorDesc,
                                                                   const cudnnFilterDescriptor_t filterDesc, int* n,
                                                                   int* c, int* h, int* w);
typedef cudnnStatus_t (*PFN_cudnnGetConvolutionForwardAlgorithm_v7)(
    cudnnHandle_t, const cudnnTensorDescriptor_t srcDesc, const cudnnFilterDescriptor_t filterDesc,
    const cudnnConvolutionDescriptor_t convDesc, const cudnnTensorDescriptor_t destDesc, const int requestedAlgoCount,
    int* returnedAlgoCount, cudnnConvolutionFwdAlgoPerf_t* perfResults);
typedef cudnnStatus_t (*PFN_cudnnGetConvolutionBackwardDataAlgorithm_v7)(
    cudnnHandle_t, const cudnnFilterDescriptor_t filterDesc, const cudnnTensorDescriptor_t diffDesc,
    const cudnnConvolutionDescriptor_t convDesc, const cudnnTensorDescriptor_t gradDesc, const int requestedAlgoCount,
    int* returnedAlgoCount, cudnnConvolutionBwdDataAlgoPerf_t* perfResults);
typedef cudnnStatus_t (*PFN_cudnnGetConvolutionBackwardFilterAlgorithm_v7)(
    cudnnHandle_t, const cudnnTensorDescriptor_t srcDesc, const cudnnTensorDescriptor_t diffDesc,
    const cudnnConvolutionDescriptor_t convDesc, const cudnnFilterDescriptor_t gradDesc, const int requestedAlgoCount,
    int* returnedAlgoCount, cudnnConvolutionBwdFilterAlgoPerf_t* perfResults);
typedef cudnnStatus_t (*PFN_cudnnFindConvolutionForwardAlgorithmEx)(
    cudnnHandle_t, const cudnnTensorDescriptor_t xDesc, const void* x, const cudnnFilterDescriptor_t wDesc,
    const void* w, const cudnnConvolutionDescriptor_t convDesc, const cudnnTensorDescriptor_t yDesc, void* y,
    const int requestedAlgoCount, int* returnedAlgoCount, cudnnConvolutionFwdAlgoPerf_t* perfResults, void* workSpace,
    size_t workSpaceSizeInBytes);
typedef cudnnStatus_t (*PFN_cudnnFindConvolutionBackwardDataAlgorithmEx)(
    cudnnHandle_t, const cudnnFilterDescriptor_t wDesc, const void* w, const cudnnTensorDescriptor_t dyDesc,
    const void* dy, const cudnnConvolutionDescriptor_t convDesc, const cudnnTensorDescriptor_t dxDesc, void* dx,
    const int requestedAlgoCount, int* returnedAlgoCount, cudnnConvolutionBwdDataAlgoPerf_t* perfResults,
    void* workSpace, size_t workSpaceSizeInBytes);
typedef cudnnStatus_t (*PFN_cudnnFindConvolutionBackwardFilterAlgorithmEx)(
    cudnnHandle_t, const cudnnTensorDescriptor_t xDesc, const void* x, const cudnnTensorDescriptor_t dyDesc,
    const void* y, const cudnnConvolutionDescriptor_t convDesc, const cudnnFilterDescriptor_t dwDesc, void* dw,
    const int requestedAlgoCount, int* returnedAlgoCount, cudnnConvolutionBwdFilterAlgoPerf_t* perfResults,
    void* workSpace, size_t workSpaceSizeInBytes);
typedef cudnnStatus_t (*PFN_cudnnGetConvolutionForwardWorkspaceSize)(cudnnHandle_t, const cudnnTensorDescriptor_t xDesc,
                                                                     const cudnnFilterDescriptor_t wDesc,
                                                                     const cudnnConvolutionDescriptor_t convDesc,
                                                                     const cudnnTensorDescriptor_t yDesc,
                                                                     cudnnConvolutionFwdAlgo_t algo,
                                                                     size_t* sizeInBytes);
typedef cudnnStatus_t (*PFN_cudnnGetConvolutionBackwardDataWorkspaceSize)(
    cudnnHandle_t, const cudnnFilterDescriptor_t wDesc, const cudnnTensorDescriptor_t dyDesc,
    const cudnnConvolutionDescriptor_t convDesc, const cudnnTensorDescriptor_t dxDesc,
    cudnnConvolutionBwdDataAlgo_t algo, size_t* sizeInBytes);
typedef cudnnStatus_t (*PFN_cudnnGetConvolutionBackwardFilterWorkspaceSize)(
    cudnnHandle_t, const cudnnTensorDescriptor_t xDesc, const cudnnTensorDescriptor_t dyDesc,
    const cudnnConvolutionDescriptor_t convDesc, const cudnnFilterDescriptor_t gradDesc,
    cudnnConvolutionBwdFilterAlgo_t algo, size_t* sizeInBytes);
typedef cudnnStatus_t (*PFN_cudnnConvolutionForward)(cudnnHandle_t, const void* alpha,
                                                     const cudnnTensorDescriptor_t xDesc, const void* x,
                                                     const cudnnFilterDescriptor_t wDesc, const void* w,
                                                     const cudnnConvolutionDescriptor_t convDesc,
                                                     cudnnConvolutionFwdAlgo_t algo, void* workSpace,
                                                     size_t workSpaceSizeInBytes, const void* beta,
                                                     const cudnnTensorDescriptor_t yDesc, void* y);
typedef cudnnStatus_t (*PFN_cudnnConvolutionBackwardData)(cudnnHandle_t, const void* alpha,
                                                          const cudnnFilterDescriptor_t wDesc, const void* w,
                                                          const cudnnTensorDescriptor_t dyDesc, const void* dy,
                                                          const cudnnConvolutionDescriptor_t convDesc,
                                                          cudnnConvolutionBwdDataAlgo_t algo, void* workSpace,
                                                          size_t workSpaceSizeInBytes, const void* beta,
                                                          const cudnnTensorDescriptor_t dxDesc, void* dx);
typedef cudnnStatus_t (*PFN_cudnnConvolutionBackwardFilter)(cudnnHandle_t, const void* alpha,
                                                            const cudnnTensorDescriptor_t xDesc, const void* x,
                                                            const cudnnTensorDescriptor_t dyDesc, const void* dy,
                                                            const cudnnConvolutionDescriptor_t convDesc,
                                                            cudnnConvolutionBwdFilterAlgo_t algo, void* workSpace,
                                                            size_t workSpaceSizeInBytes, const void* beta,
                                                            const cudnnFilterDescriptor_t dwDesc, void* dw);
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

// Pooling (cudnn_ops.h of cuDNN 9: the legacy API, in libcudnn_ops).
extern "C" {
struct cudnnPoolingStruct;
typedef struct cudnnPoolingStruct* cudnnPoolingDescriptor_t;
typedef enum {
  CUDNN_POOLING_MAX = 0,
  CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING = 1,
  CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING = 2,
  CUDNN_POOLING_MAX_DETERMINISTIC = 3
} cudnnPoolingMode_t;

typedef cudnnStatus_t (*PFN_cudnnCreatePoolingDescriptor)(cudnnPoolingDescriptor_t*);
typedef cudnnStatus_t (*PFN_cudnnDestroyPoolingDescriptor)(cudnnPoolingDescriptor_t);
typedef cudnnStatus_t (*PFN_cudnnSetPooling2dDescriptor)(cudnnPoolingDescriptor_t, cudnnPoolingMode_t,
                                                         cudnnNanPropagation_t maxpoolingNanOpt, int windowHeight,
                                                         int windowWidth, int verticalPadding, int horizontalPadding,
                                                         int verticalStride, int horizontalStride);
typedef cudnnStatus_t (*PFN_cudnnPoolingForward)(cudnnHandle_t, const cudnnPoolingDescriptor_t, const void* alpha,
                                                 const cudnnTensorDescriptor_t xDesc, const void* x, const void* beta,
                                                 const cudnnTensorDescriptor_t yDesc, void* y);
typedef cudnnStatus_t (*PFN_cudnnPoolingBackward)(cudnnHandle_t, const cudnnPoolingDescriptor_t, const void* alpha,
                                                  const cudnnTensorDescriptor_t yDesc, const void* y,
                                                  const cudnnTensorDescriptor_t dyDesc, const void* dy,
                                                  const cudnnTensorDescriptor_t xDesc, const void* x, const void* beta,
                                                  const cudnnTensorDescriptor_t dxDesc, void* dx);
}
