// Run-time loading of cuBLAS (required) and cuDNN (optional) with dlopen, so
// the addon links against neither and loads on machines without them.
#pragma once
#include <string>
#include <vector>

#include "cuda/cublas_abi.h"
#include "cuda/cudnn_abi.h"

namespace nt {
namespace cuda {

struct CublasApi {
  std::string path;  // file that was loaded
  PFN_cublasCreate_v2 create = nullptr;
  PFN_cublasDestroy_v2 destroy = nullptr;
  PFN_cublasSetStream_v2 setStream = nullptr;
  PFN_cublasSetMathMode setMathMode = nullptr;
  PFN_cublasGetVersion_v2 getVersion = nullptr;
  PFN_cublasGetStatusString getStatusString = nullptr;  // may be null (old cuBLAS)
  PFN_cublasSgemm_v2 sgemm = nullptr;
  PFN_cublasDgemm_v2 dgemm = nullptr;
  PFN_cublasSgemmStridedBatched sgemmStridedBatched = nullptr;
  PFN_cublasDgemmStridedBatched dgemmStridedBatched = nullptr;
};

struct CudnnApi {
  std::string path;
  PFN_cudnnGetVersion getVersion = nullptr;
  PFN_cudnnGetErrorString getErrorString = nullptr;
  PFN_cudnnCreate create = nullptr;
  PFN_cudnnDestroy destroy = nullptr;
  PFN_cudnnSetStream setStream = nullptr;
  PFN_cudnnCreateTensorDescriptor createTensorDescriptor = nullptr;
  PFN_cudnnDestroyTensorDescriptor destroyTensorDescriptor = nullptr;
  PFN_cudnnSetTensor4dDescriptor setTensor4dDescriptor = nullptr;
  PFN_cudnnCreateActivationDescriptor createActivationDescriptor = nullptr;
  PFN_cudnnDestroyActivationDescriptor destroyActivationDescriptor = nullptr;
  PFN_cudnnSetActivationDescriptor setActivationDescriptor = nullptr;
  PFN_cudnnActivationForward activationForward = nullptr;
  PFN_cudnnActivationBackward activationBackward = nullptr;
  PFN_cudnnSoftmaxForward softmaxForward = nullptr;
  PFN_cudnnSoftmaxBackward softmaxBackward = nullptr;
  // Convolution (libcudnn_cnn.so.9): usable when convLoaded; convNote says
  // why not otherwise (activations and softmax still use cuDNN).
  bool convLoaded = false;
  std::string convNote;
  PFN_cudnnCreateFilterDescriptor createFilterDescriptor = nullptr;
  PFN_cudnnDestroyFilterDescriptor destroyFilterDescriptor = nullptr;
  PFN_cudnnSetFilter4dDescriptor setFilter4dDescriptor = nullptr;
  PFN_cudnnCreateConvolutionDescriptor createConvolutionDescriptor = nullptr;
  PFN_cudnnDestroyConvolutionDescriptor destroyConvolutionDescriptor = nullptr;
  PFN_cudnnSetConvolution2dDescriptor setConvolution2dDescriptor = nullptr;
  PFN_cudnnSetConvolutionGroupCount setConvolutionGroupCount = nullptr;
  PFN_cudnnSetConvolutionMathType setConvolutionMathType = nullptr;
  PFN_cudnnGetConvolution2dForwardOutputDim getConvolution2dForwardOutputDim = nullptr;
  PFN_cudnnGetConvolutionForwardAlgorithm_v7 getConvolutionForwardAlgorithm = nullptr;
  PFN_cudnnGetConvolutionBackwardDataAlgorithm_v7 getConvolutionBackwardDataAlgorithm = nullptr;
  PFN_cudnnGetConvolutionBackwardFilterAlgorithm_v7 getConvolutionBackwardFilterAlgorithm = nullptr;
  PFN_cudnnFindConvolutionForwardAlgorithmEx findConvolutionForwardAlgorithm = nullptr;
  PFN_cudnnFindConvolutionBackwardDataAlgorithmEx findConvolutionBackwardDataAlgorithm = nullptr;
  PFN_cudnnFindConvolutionBackwardFilterAlgorithmEx findConvolutionBackwardFilterAlgorithm = nullptr;
  PFN_cudnnGetConvolutionForwardWorkspaceSize getConvolutionForwardWorkspaceSize = nullptr;
  PFN_cudnnGetConvolutionBackwardDataWorkspaceSize getConvolutionBackwardDataWorkspaceSize = nullptr;
  PFN_cudnnGetConvolutionBackwardFilterWorkspaceSize getConvolutionBackwardFilterWorkspaceSize = nullptr;
  PFN_cudnnConvolutionForward convolutionForward = nullptr;
  PFN_cudnnConvolutionBackwardData convolutionBackwardData = nullptr;
  PFN_cudnnConvolutionBackwardFilter convolutionBackwardFilter = nullptr;
  // Batch norm: optional (null when this cuDNN lacks the legacy API).
  PFN_cudnnBatchNormalizationForwardTraining bnForwardTraining = nullptr;
  PFN_cudnnBatchNormalizationForwardInference bnForwardInference = nullptr;
  PFN_cudnnBatchNormalizationBackward bnBackward = nullptr;
  // Pooling (optional too: poolLoaded when all five are there).
  bool poolLoaded = false;
  PFN_cudnnCreatePoolingDescriptor createPoolingDescriptor = nullptr;
  PFN_cudnnDestroyPoolingDescriptor destroyPoolingDescriptor = nullptr;
  PFN_cudnnSetPooling2dDescriptor setPooling2dDescriptor = nullptr;
  PFN_cudnnPoolingForward poolingForward = nullptr;
  PFN_cudnnPoolingBackward poolingBackward = nullptr;
};

// Opens soname `so` from $NODETORCH_CUDA_LIB_PATH, the loader's search, then
// lib_search.h's folders (companions first, from the same folder); null when
// not found, with each failure appended to `tried`. `path` gets the file.
void* openCudaLibrary(const std::string& so, const std::vector<std::string>& companions, const char* probeSymbol,
                      std::string* path, std::string* tried);
// "\n  and found no such file in:" and the folders searched, for messages.
std::string searchedDirsText();

// Each loads once per process (thread-safe) and returns nullptr on failure,
// with `why` set to every soname/path tried and its dlerror.
const CublasApi* loadCublas(std::string* why);
const CudnnApi* loadCudnn(std::string* why);

// "cublasSgemm_v2: CUBLAS_STATUS_... (code N)".
std::string cublasStatusText(cublasStatus_t s);
std::string cudnnStatusText(cudnnStatus_t s);

}  // namespace cuda
}  // namespace nt
