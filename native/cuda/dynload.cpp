// Finds and dlopens cuBLAS and cuDNN: in the directories of
// $NODETORCH_CUDA_LIB_PATH (':'-separated, tried first), by soname (the
// loader's search), then in the folders of lib_search.h (pip wheels in
// virtual/conda/user/system environments, torch/lib, the CUDA toolkit). A library's companions (libcublasLt,
// libcudnn_graph/_ops) are opened from the same directory first, so its dependencies resolve even when that directory
// is not on the loader's search path.
#include "cuda/dynload.h"
#include "cuda/lib_search.h"

#include <dlfcn.h>
#include <sys/stat.h>

#include <climits>
#include <cstdlib>
#include <mutex>
#include <vector>

namespace nt {
namespace cuda {
namespace {

bool fileExists(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string dlerr() {
  const char* e = dlerror();
  return e ? e : "unknown dlopen error";
}

// Opens dir/so after opening the companions present in dir (so the loader
// finds them by soname when `so` asks for them). Returns null if absent.
void* openInDir(const std::string& dir, const std::string& so, const std::vector<std::string>& companions,
                std::string* path, std::string* tried) {
  const std::string file = dir + "/" + so;
  if (!fileExists(file)) return nullptr;
  for (const auto& c : companions) {
    const std::string cf = dir + "/" + c;
    if (fileExists(cf)) dlopen(cf.c_str(), RTLD_NOW | RTLD_LOCAL);
  }
  if (void* h = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL)) {
    *path = file;
    return h;
  }
  *tried += "\n  " + file + ": " + dlerr();
  return nullptr;
}

// Tries one soname: $NODETORCH_CUDA_LIB_PATH, the loader's search
// (LD_LIBRARY_PATH, ldconfig cache, RUNPATH), then the usual directories.
void* openLibrary(const std::string& so, const std::vector<std::string>& companions, const char* probeSymbol,
                  std::string* path, std::string* tried) {
  for (const auto& d : envLibDirs())
    if (void* h = openInDir(d, so, companions, path, tried)) return h;
  if (void* h = dlopen(so.c_str(), RTLD_NOW | RTLD_LOCAL)) {
    *path = so;
    Dl_info info;  // report the file the loader picked
    void* sym = dlsym(h, probeSymbol);
    if (sym && dladdr(sym, &info) && info.dli_fname) *path = info.dli_fname;
    return h;
  }
  *tried += "\n  " + so + ": " + dlerr();
  for (const auto& d : usualLibDirs().dirs)
    if (void* h = openInDir(d.dir, so, companions, path, tried)) return h;
  return nullptr;
}

}  // namespace

void* openCudaLibrary(const std::string& so, const std::vector<std::string>& companions, const char* probeSymbol,
                      std::string* path, std::string* tried) {
  return openLibrary(so, companions, probeSymbol, path, tried);
}

std::string searchedDirsText() { return "\n  and found no such file in:" + libSearchText(); }

namespace {

template <typename F>
bool bind(void* h, const char* name, F* fn, std::string* missing) {
  *fn = reinterpret_cast<F>(dlsym(h, name));
  if (!*fn) *missing += std::string(missing->empty() ? "" : ", ") + name;
  return *fn != nullptr;
}

// The convolution entry points: libcudnn.so.9 exports them and forwards to
// libcudnn_cnn.so.9, which must load first (its dependencies included), or
// cuDNN fails the call; without it convolutions use nodetorch's kernels.
void bindConv(void* h, CudnnApi* api) {
  if (!dlopen("libcudnn_cnn.so.9", RTLD_NOW | RTLD_LOCAL)) {
    api->convNote = "cuDNN at " + api->path + " found, but its libcudnn_cnn.so.9 could not be loaded: " + dlerr() +
                    "; convolutions use nodetorch's own kernels";
    return;
  }
  std::string missing;
  bind(h, "cudnnCreateFilterDescriptor", &api->createFilterDescriptor, &missing);
  bind(h, "cudnnDestroyFilterDescriptor", &api->destroyFilterDescriptor, &missing);
  bind(h, "cudnnSetFilter4dDescriptor", &api->setFilter4dDescriptor, &missing);
  bind(h, "cudnnCreateConvolutionDescriptor", &api->createConvolutionDescriptor, &missing);
  bind(h, "cudnnDestroyConvolutionDescriptor", &api->destroyConvolutionDescriptor, &missing);
  bind(h, "cudnnSetConvolution2dDescriptor", &api->setConvolution2dDescriptor, &missing);
  bind(h, "cudnnSetConvolutionGroupCount", &api->setConvolutionGroupCount, &missing);
  bind(h, "cudnnSetConvolutionMathType", &api->setConvolutionMathType, &missing);
  bind(h, "cudnnGetConvolution2dForwardOutputDim", &api->getConvolution2dForwardOutputDim, &missing);
  bind(h, "cudnnGetConvolutionForwardAlgorithm_v7", &api->getConvolutionForwardAlgorithm, &missing);
  bind(h, "cudnnGetConvolutionBackwardDataAlgorithm_v7", &api->getConvolutionBackwardDataAlgorithm, &missing);
  bind(h, "cudnnGetConvolutionBackwardFilterAlgorithm_v7", &api->getConvolutionBackwardFilterAlgorithm, &missing);
  bind(h, "cudnnFindConvolutionForwardAlgorithmEx", &api->findConvolutionForwardAlgorithm, &missing);
  bind(h, "cudnnFindConvolutionBackwardDataAlgorithmEx", &api->findConvolutionBackwardDataAlgorithm, &missing);
  bind(h, "cudnnFindConvolutionBackwardFilterAlgorithmEx", &api->findConvolutionBackwardFilterAlgorithm, &missing);
  bind(h, "cudnnGetConvolutionForwardWorkspaceSize", &api->getConvolutionForwardWorkspaceSize, &missing);
  bind(h, "cudnnGetConvolutionBackwardDataWorkspaceSize", &api->getConvolutionBackwardDataWorkspaceSize, &missing);
  bind(h, "cudnnGetConvolutionBackwardFilterWorkspaceSize", &api->getConvolutionBackwardFilterWorkspaceSize, &missing);
  bind(h, "cudnnConvolutionForward", &api->convolutionForward, &missing);
  bind(h, "cudnnConvolutionBackwardData", &api->convolutionBackwardData, &missing);
  bind(h, "cudnnConvolutionBackwardFilter", &api->convolutionBackwardFilter, &missing);
  if (!missing.empty()) {
    api->convNote =
        "cuDNN at " + api->path + " lacks symbols: " + missing + "; convolutions use nodetorch's own kernels";
    return;
  }
  api->convLoaded = true;
}

}  // namespace

const CublasApi* loadCublas(std::string* why) {
  static std::once_flag once;
  static CublasApi api;
  static bool ok = false;
  static std::string error;
  std::call_once(once, [] {
    std::string tried;
    void* h = openLibrary("libcublas.so.13", {"libcublasLt.so.13"}, "cublasCreate_v2", &api.path, &tried);
    if (!h) h = openLibrary("libcublas.so.12", {"libcublasLt.so.12"}, "cublasCreate_v2", &api.path, &tried);
    if (!h) {
      tried += searchedDirsText();
      error =
          "cuBLAS could not be loaded (set NODETORCH_CUDA_LIB_PATH to the directory holding "
          "libcublas.so.13 or libcublas.so.12); tried:" +
          tried;
      return;
    }
    std::string missing;
    bind(h, "cublasCreate_v2", &api.create, &missing);
    bind(h, "cublasDestroy_v2", &api.destroy, &missing);
    bind(h, "cublasSetStream_v2", &api.setStream, &missing);
    bind(h, "cublasSetMathMode", &api.setMathMode, &missing);
    bind(h, "cublasGetVersion_v2", &api.getVersion, &missing);
    bind(h, "cublasSgemm_v2", &api.sgemm, &missing);
    bind(h, "cublasDgemm_v2", &api.dgemm, &missing);
    bind(h, "cublasSgemmStridedBatched", &api.sgemmStridedBatched, &missing);
    bind(h, "cublasDgemmStridedBatched", &api.dgemmStridedBatched, &missing);
    std::string optional;
    bind(h, "cublasGetStatusString", &api.getStatusString, &optional);
    if (!missing.empty()) {
      error = "cuBLAS at " + api.path + " lacks required symbols: " + missing;
      return;
    }
    ok = true;
  });
  if (!ok && why) *why = error;
  return ok ? &api : nullptr;
}

const CudnnApi* loadCudnn(std::string* why) {
  static std::once_flag once;
  static CudnnApi api;
  static bool ok = false;
  static std::string error;
  std::call_once(once, [] {
    if (const char* off = std::getenv("NODETORCH_CUDNN")) {
      if (std::string(off) == "0") {
        error = "cuDNN disabled by NODETORCH_CUDNN=0";
        return;
      }
    }
    std::string tried;
    // cuDNN 9's libcudnn.so.9 is a shim that dlopens its sub-libraries by
    // soname; opening them first from the same directory makes that work
    // without LD_LIBRARY_PATH (and avoids cuDNN aborting when one is missing).
    // The engine and heuristic libraries are what the convolutions run on.
    void* h = openLibrary(
        "libcudnn.so.9",
        {"libcudnn_graph.so.9", "libcudnn_engines_precompiled.so.9", "libcudnn_engines_runtime_compiled.so.9",
         "libcudnn_heuristic.so.9", "libcudnn_ops.so.9", "libcudnn_cnn.so.9"},
        "cudnnCreate", &api.path, &tried);
    if (!h) {
      tried += searchedDirsText();
      error = "cuDNN 9 not found; tried:" + tried;
      return;
    }
    if (!dlopen("libcudnn_ops.so.9", RTLD_NOW | RTLD_LOCAL)) {
      error = "cuDNN at " + api.path + " found, but its libcudnn_ops.so.9 could not be loaded: " + dlerr();
      return;
    }
    std::string missing;
    bind(h, "cudnnGetVersion", &api.getVersion, &missing);
    bind(h, "cudnnGetErrorString", &api.getErrorString, &missing);
    bind(h, "cudnnCreate", &api.create, &missing);
    bind(h, "cudnnDestroy", &api.destroy, &missing);
    bind(h, "cudnnSetStream", &api.setStream, &missing);
    bind(h, "cudnnCreateTensorDescriptor", &api.createTensorDescriptor, &missing);
    bind(h, "cudnnDestroyTensorDescriptor", &api.destroyTensorDescriptor, &missing);
    bind(h, "cudnnSetTensor4dDescriptor", &api.setTensor4dDescriptor, &missing);
    bind(h, "cudnnCreateActivationDescriptor", &api.createActivationDescriptor, &missing);
    bind(h, "cudnnDestroyActivationDescriptor", &api.destroyActivationDescriptor, &missing);
    bind(h, "cudnnSetActivationDescriptor", &api.setActivationDescriptor, &missing);
    bind(h, "cudnnActivationForward", &api.activationForward, &missing);
    bind(h, "cudnnActivationBackward", &api.activationBackward, &missing);
    bind(h, "cudnnSoftmaxForward", &api.softmaxForward, &missing);
    bind(h, "cudnnSoftmaxBackward", &api.softmaxBackward, &missing);
    std::string optional;  // the batch-norm path checks for null instead
    bind(h, "cudnnBatchNormalizationForwardTraining", &api.bnForwardTraining, &optional);
    bind(h, "cudnnBatchNormalizationForwardInference", &api.bnForwardInference, &optional);
    bind(h, "cudnnBatchNormalizationBackward", &api.bnBackward, &optional);
    std::string noPool;
    bind(h, "cudnnCreatePoolingDescriptor", &api.createPoolingDescriptor, &noPool);
    bind(h, "cudnnDestroyPoolingDescriptor", &api.destroyPoolingDescriptor, &noPool);
    bind(h, "cudnnSetPooling2dDescriptor", &api.setPooling2dDescriptor, &noPool);
    bind(h, "cudnnPoolingForward", &api.poolingForward, &noPool);
    bind(h, "cudnnPoolingBackward", &api.poolingBackward, &noPool);
    api.poolLoaded = noPool.empty();
    if (!missing.empty()) {
      error = "cuDNN at " + api.path + " lacks symbols: " + missing;
      return;
    }
    if (api.getVersion() < 90000) {
      error = "cuDNN at " + api.path + " is version " + std::to_string(api.getVersion()) + ", nodetorch needs cuDNN 9";
      return;
    }
    bindConv(h, &api);
    ok = true;
  });
  if (!ok && why) *why = error;
  return ok ? &api : nullptr;
}

std::string cublasStatusText(cublasStatus_t s) {
  std::string name;
  if (const CublasApi* api = loadCublas(nullptr))
    if (api->getStatusString) name = api->getStatusString(s);
  if (name.empty()) name = "CUBLAS_STATUS";
  return name + " (code " + std::to_string(static_cast<int>(s)) + ")";
}

std::string cudnnStatusText(cudnnStatus_t s) {
  std::string name;
  if (const CudnnApi* api = loadCudnn(nullptr)) name = api->getErrorString(s);
  if (name.empty()) name = "CUDNN_STATUS";
  return name + " (code " + std::to_string(s) + ")";
}

}  // namespace cuda
}  // namespace nt
