// The cuDNN fallback shared by every cuDNN path (activations, softmax,
// convolution, batch norm, pooling): a failed cuDNN call throws
// CudnnFailure inside the entry point, which catches it and returns false so
// that the caller runs nodetorch's own kernel. A CudnnFallback flag per cuDNN
// function makes the first failure print a notice (also kept for
// cudnnFallbackNotes()) and keeps that function from being called again.
#pragma once

#include <atomic>
#include <string>

#include "common/dtype.h"
#include "cuda/dynload.h"

namespace nt {
namespace cuda {

// A failed cuDNN call, caught by the entry points (never reaches the user).
// status SUCCESS: no cuDNN error, `fn` says what went wrong instead.
struct CudnnFailure {
  const char* fn;
  cudnnStatus_t status;
};

inline void checkCudnn(cudnnStatus_t s, const char* fn) {
  if (s != CUDNN_STATUS_SUCCESS) throw CudnnFailure{fn, s};
}

// "cudnnX failed (STATUS (code n))", or the bare `fn` text when status is SUCCESS.
std::string cudnnFailureText(const CudnnFailure& e);

// Prints a notice to stderr and adds it to cudnnFallbackNotes().
void recordCudnnFallback(const std::string& note);

// One cuDNN function's "failed before" flag (a static per entry point).
class CudnnFallback {
 public:
  bool failed() const { return failed_.load(std::memory_order_relaxed); }
  // Marks the function failed; the first time, records "nodetorch: cuDNN
  // <fn> failed for <op> (<status>); using nodetorch's own kernel ...".
  // Returns false, the entry points' "use our kernel" answer.
  bool fallBack(const char* op, const CudnnFailure& e);
  // Marks it failed without a notice; true the first time (for callers that
  // word their own notice, such as conv's per-shape one).
  bool firstFailure() { return !failed_.exchange(true); }

 private:
  std::atomic<bool> failed_{false};
};

// Host scaling factors alpha = 1, beta = 0: float for float data, double for
// double (cuDNN's rule).
struct CudnnScale {
  float f[2] = {1.0f, 0.0f};
  double d[2] = {1.0, 0.0};
  const void* alpha(DType t) const { return t == DType::Float32 ? static_cast<const void*>(&f[0]) : &d[0]; }
  const void* beta(DType t) const { return t == DType::Float32 ? static_cast<const void*>(&f[1]) : &d[1]; }
};

inline cudnnDataType_t cudnnDataTypeOf(DType t) { return t == DType::Float32 ? CUDNN_DATA_FLOAT : CUDNN_DATA_DOUBLE; }

// A 4-d NCHW tensor descriptor, destroyed with the object (also when the
// set call fails, which throws CudnnFailure).
class CudnnTensorDesc {
 public:
  CudnnTensorDesc(const CudnnApi& api, DType dt, int n, int c, int h, int w) : api_(api) {
    checkCudnn(api.createTensorDescriptor(&d_), "cudnnCreateTensorDescriptor");
    const cudnnStatus_t s = api.setTensor4dDescriptor(d_, CUDNN_TENSOR_NCHW, cudnnDataTypeOf(dt), n, c, h, w);
    if (s != CUDNN_STATUS_SUCCESS) {
      api.destroyTensorDescriptor(d_);
      checkCudnn(s, "cudnnSetTensor4dDescriptor");
    }
  }
  ~CudnnTensorDesc() { api_.destroyTensorDescriptor(d_); }
  CudnnTensorDesc(const CudnnTensorDesc&) = delete;
  CudnnTensorDesc& operator=(const CudnnTensorDesc&) = delete;
  cudnnTensorDescriptor_t get() const { return d_; }

 private:
  const CudnnApi& api_;
  cudnnTensorDescriptor_t d_ = nullptr;
};

}  // namespace cuda
}  // namespace nt
