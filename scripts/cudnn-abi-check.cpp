// Compile-time check of native/cuda/cudnn_abi.h (cuDNN declared by hand,
// since its headers are not needed to build) against cuDNN's own headers:
// every function pointer type must be the real signature once nodetorch's
// types are mapped to cuDNN's, every enum value used must match, and the
// *AlgoPerf_t structs must have the same layout. Run by
// scripts/check-cudnn-abi.sh; compiles to nothing (-fsyntax-only).
#include <cstddef>
#include <type_traits>
#include <cuda_runtime_api.h>
#define CUDNN_DEPRECATED
#define CUDNN_DEPRECATED_ENUM
#include "cudnn_cnn.h"
// nodetorch's declarations, in their own namespace beside cuDNN's.
namespace mine {
#include "cuda/cudnn_abi.h"
}
template <class T> struct M { using type = T; };
#define MAP(a, b) template <> struct M<a> { using type = b; };
MAP(mine::cudnnHandle_t, ::cudnnHandle_t)
MAP(mine::cudnnTensorDescriptor_t, ::cudnnTensorDescriptor_t)
MAP(mine::cudnnFilterDescriptor_t, ::cudnnFilterDescriptor_t)
MAP(mine::cudnnConvolutionDescriptor_t, ::cudnnConvolutionDescriptor_t)
MAP(mine::cudnnActivationDescriptor_t, ::cudnnActivationDescriptor_t)
MAP(mine::cudnnPoolingDescriptor_t, ::cudnnPoolingDescriptor_t)
MAP(mine::cudnnHandle_t*, ::cudnnHandle_t*)
MAP(mine::cudnnTensorDescriptor_t*, ::cudnnTensorDescriptor_t*)
MAP(mine::cudnnFilterDescriptor_t*, ::cudnnFilterDescriptor_t*)
MAP(mine::cudnnConvolutionDescriptor_t*, ::cudnnConvolutionDescriptor_t*)
MAP(mine::cudnnActivationDescriptor_t*, ::cudnnActivationDescriptor_t*)
MAP(mine::cudnnPoolingDescriptor_t*, ::cudnnPoolingDescriptor_t*)
MAP(mine::cudnnPoolingMode_t, ::cudnnPoolingMode_t)
MAP(mine::cudnnDataType_t, ::cudnnDataType_t)
MAP(mine::cudnnTensorFormat_t, ::cudnnTensorFormat_t)
MAP(mine::cudnnActivationMode_t, ::cudnnActivationMode_t)
MAP(mine::cudnnNanPropagation_t, ::cudnnNanPropagation_t)
MAP(mine::cudnnSoftmaxAlgorithm_t, ::cudnnSoftmaxAlgorithm_t)
MAP(mine::cudnnSoftmaxMode_t, ::cudnnSoftmaxMode_t)
MAP(mine::cudnnMathType_t, ::cudnnMathType_t)
MAP(mine::cudnnConvolutionMode_t, ::cudnnConvolutionMode_t)
MAP(mine::cudnnConvolutionFwdAlgo_t, ::cudnnConvolutionFwdAlgo_t)
MAP(mine::cudnnConvolutionBwdDataAlgo_t, ::cudnnConvolutionBwdDataAlgo_t)
MAP(mine::cudnnConvolutionBwdFilterAlgo_t, ::cudnnConvolutionBwdFilterAlgo_t)
MAP(mine::cudnnConvolutionFwdAlgoPerf_t*, ::cudnnConvolutionFwdAlgoPerf_t*)
MAP(mine::cudnnConvolutionBwdDataAlgoPerf_t*, ::cudnnConvolutionBwdDataAlgoPerf_t*)
MAP(mine::cudnnConvolutionBwdFilterAlgoPerf_t*, ::cudnnConvolutionBwdFilterAlgoPerf_t*)
template <class R> struct MR { using type = R; };
template <> struct MR<int> { using type = ::cudnnStatus_t; };
template <class F> struct MapFn;
template <class R, class... A> struct MapFn<R (*)(A...)> { using type = typename MR<R>::type (*)(typename M<A>::type...); };
#define SAME(name) static_assert(std::is_same<MapFn<mine::PFN_##name>::type, decltype(&::name)>::value, #name);
SAME(cudnnCreate) SAME(cudnnDestroy) SAME(cudnnSetStream) SAME(cudnnCreateTensorDescriptor)
SAME(cudnnDestroyTensorDescriptor) SAME(cudnnSetTensor4dDescriptor) SAME(cudnnCreateActivationDescriptor)
SAME(cudnnDestroyActivationDescriptor) SAME(cudnnSetActivationDescriptor) SAME(cudnnActivationForward)
SAME(cudnnActivationBackward) SAME(cudnnSoftmaxForward) SAME(cudnnSoftmaxBackward)
SAME(cudnnCreateFilterDescriptor) SAME(cudnnDestroyFilterDescriptor) SAME(cudnnSetFilter4dDescriptor)
SAME(cudnnCreateConvolutionDescriptor) SAME(cudnnDestroyConvolutionDescriptor) SAME(cudnnSetConvolution2dDescriptor)
SAME(cudnnSetConvolutionGroupCount) SAME(cudnnSetConvolutionMathType) SAME(cudnnGetConvolution2dForwardOutputDim)
SAME(cudnnGetConvolutionForwardAlgorithm_v7) SAME(cudnnGetConvolutionBackwardDataAlgorithm_v7)
SAME(cudnnGetConvolutionBackwardFilterAlgorithm_v7) SAME(cudnnFindConvolutionForwardAlgorithmEx)
SAME(cudnnFindConvolutionBackwardDataAlgorithmEx) SAME(cudnnFindConvolutionBackwardFilterAlgorithmEx)
SAME(cudnnGetConvolutionForwardWorkspaceSize) SAME(cudnnGetConvolutionBackwardDataWorkspaceSize)
SAME(cudnnGetConvolutionBackwardFilterWorkspaceSize) SAME(cudnnConvolutionForward) SAME(cudnnConvolutionBackwardData)
SAME(cudnnConvolutionBackwardFilter)
SAME(cudnnCreatePoolingDescriptor) SAME(cudnnDestroyPoolingDescriptor) SAME(cudnnSetPooling2dDescriptor)
SAME(cudnnPoolingForward) SAME(cudnnPoolingBackward)
static_assert(std::is_same<mine::PFN_cudnnGetVersion, decltype(&::cudnnGetVersion)>::value, "ver");
#define EQ(n) static_assert(int(mine::n) == int(::n), #n);
EQ(CUDNN_DATA_FLOAT) EQ(CUDNN_DATA_DOUBLE) EQ(CUDNN_TENSOR_NCHW) EQ(CUDNN_TENSOR_NHWC)
EQ(CUDNN_ACTIVATION_SIGMOID) EQ(CUDNN_ACTIVATION_RELU) EQ(CUDNN_ACTIVATION_TANH) EQ(CUDNN_ACTIVATION_IDENTITY)
EQ(CUDNN_PROPAGATE_NAN) EQ(CUDNN_SOFTMAX_LOG) EQ(CUDNN_SOFTMAX_ACCURATE) EQ(CUDNN_SOFTMAX_MODE_INSTANCE)
EQ(CUDNN_DEFAULT_MATH) EQ(CUDNN_TENSOR_OP_MATH) EQ(CUDNN_FMA_MATH) EQ(CUDNN_CROSS_CORRELATION) EQ(CUDNN_CONVOLUTION)
EQ(CUDNN_DETERMINISTIC) EQ(CUDNN_CONVOLUTION_FWD_ALGO_COUNT) EQ(CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT)
EQ(CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT) EQ(CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED)
EQ(CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD_NONFUSED) EQ(CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT_TILING)
EQ(CUDNN_POOLING_MAX) EQ(CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING) EQ(CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING)
EQ(CUDNN_POOLING_MAX_DETERMINISTIC)

#define LAYOUT(T, f) static_assert(offsetof(mine::T, f) == offsetof(::T, f), #T "." #f);
#define PERF(T) static_assert(sizeof(mine::T) == sizeof(::T), #T); LAYOUT(T, algo) LAYOUT(T, status) LAYOUT(T, time) LAYOUT(T, memory) LAYOUT(T, determinism) LAYOUT(T, mathType) LAYOUT(T, reserved)
PERF(cudnnConvolutionFwdAlgoPerf_t) PERF(cudnnConvolutionBwdDataAlgoPerf_t) PERF(cudnnConvolutionBwdFilterAlgoPerf_t)
static_assert(sizeof(mine::cudnnStatus_t) == sizeof(::cudnnStatus_t), "status");
