// cuDNN paths (cuDNN 9 loaded at run time, optional): ReLU / sigmoid / tanh
// forward and backward, softmax / log-softmax forward and backward, for
// contiguous float32/float64 tensors whose sizes fit cuDNN's int
// descriptors. Each entry returns false when it does not apply, and the
// caller runs nodetorch's own kernel instead; it also returns false when
// cuDNN reports a failure (not supported, a sub-library that did not load):
// the first failure of each cuDNN function prints a one-time notice and that
// function is not called again. Calls hold ctx.cudnnMutex (one handle is
// shared by every thread, and cuDNN forbids concurrent use of a handle).
#include <atomic>
#include <climits>
#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

#include "cuda/kernels.h"

namespace nt {
namespace cuda {
namespace {

// A failed cuDNN call, caught by the entry points (never reaches the user).
struct CudnnFailure {
  const char* fn;
  cudnnStatus_t status;
};

void checkStatus(cudnnStatus_t s, const char* op, const char* fn) {
  if (s != CUDNN_STATUS_SUCCESS) throw CudnnFailure{fn, s};
}

// The cuDNN functions nodetorch stopped calling after a failure.
enum Fn { kActFwd, kActBwd, kSoftFwd, kSoftBwd, kFnCount };
std::atomic<bool> gFailed[kFnCount];
std::mutex gNotesMutex;
std::vector<std::string>* gNotes = new std::vector<std::string>;  // never destroyed

bool failedBefore(Fn f) { return gFailed[f].load(std::memory_order_relaxed); }

// Marks f failed; the first time, prints and records a notice. Returns false
// (the entry points' "use our kernel" answer).
bool fallBack(Fn f, const char* op, const CudnnFailure& e) {
  if (gFailed[f].exchange(true)) return false;
  const std::string note = std::string("nodetorch: cuDNN ") + e.fn + " failed for " + op + " (" +
                           cudnnStatusText(e.status) + "); using nodetorch's own kernel for it from now on" +
                           " (NODETORCH_CUDNN=0 skips cuDNN)";
  recordCudnnFallback(note);
  return false;
}

// A 4-d NCHW descriptor, destroyed with the object.
class TensorDesc {
 public:
  TensorDesc(const CudnnApi& api, DType dt, int n, int c, const char* op) : api_(api) {
    checkStatus(api.createTensorDescriptor(&d_), op, "cudnnCreateTensorDescriptor");
    const cudnnStatus_t s = api.setTensor4dDescriptor(
        d_, CUDNN_TENSOR_NCHW, dt == DType::Float32 ? CUDNN_DATA_FLOAT : CUDNN_DATA_DOUBLE, n, c, 1, 1);
    if (s != CUDNN_STATUS_SUCCESS) {
      api.destroyTensorDescriptor(d_);
      checkStatus(s, op, "cudnnSetTensor4dDescriptor");
    }
  }
  ~TensorDesc() { api_.destroyTensorDescriptor(d_); }
  TensorDesc(const TensorDesc&) = delete;
  TensorDesc& operator=(const TensorDesc&) = delete;
  cudnnTensorDescriptor_t get() const { return d_; }

 private:
  const CudnnApi& api_;
  cudnnTensorDescriptor_t d_ = nullptr;
};

class ActivationDesc {
 public:
  ActivationDesc(const CudnnApi& api, cudnnActivationMode_t mode, const char* op) : api_(api) {
    checkStatus(api.createActivationDescriptor(&d_), op, "cudnnCreateActivationDescriptor");
    // NaN propagates through ReLU, like scalar::relu (and PyTorch).
    const cudnnStatus_t s = api.setActivationDescriptor(d_, mode, CUDNN_PROPAGATE_NAN, 0.0);
    if (s != CUDNN_STATUS_SUCCESS) {
      api.destroyActivationDescriptor(d_);
      checkStatus(s, op, "cudnnSetActivationDescriptor");
    }
  }
  ~ActivationDesc() { api_.destroyActivationDescriptor(d_); }
  ActivationDesc(const ActivationDesc&) = delete;
  ActivationDesc& operator=(const ActivationDesc&) = delete;
  cudnnActivationDescriptor_t get() const { return d_; }

 private:
  const CudnnApi& api_;
  cudnnActivationDescriptor_t d_ = nullptr;
};

// True when `o` is a dense row-major layout of `s` (size-1 dims ignored).
bool contiguous(const Shape& s, const Operand& o) {
  int64_t expect = 1;
  for (int d = s.ndim - 1; d >= 0; --d) {
    if (s.sizes[d] == 1) continue;
    if (o.strides[d] != expect) return false;
    expect *= s.sizes[d];
  }
  return true;
}

// Host scaling factors: float for float data, double for double (cuDNN rule).
struct Scale {
  float f[2] = {1.0f, 0.0f};
  double d[2] = {1.0, 0.0};
  const void* alpha(DType t) const { return t == DType::Float32 ? static_cast<const void*>(&f[0]) : &d[0]; }
  const void* beta(DType t) const { return t == DType::Float32 ? static_cast<const void*>(&f[1]) : &d[1]; }
};

bool usable(const Ctx& c, DType dt, Fn f) { return c.cudnn != nullptr && isFloating(dt) && !failedBefore(f); }

}  // namespace

// out = relu / sigmoid / tanh (in), contiguous
bool cudnnUnary(const Ctx& c, const UnaryArgs& a) {
  cudnnActivationMode_t mode;
  switch (a.op) {
    case UnaryOp::Relu: mode = CUDNN_ACTIVATION_RELU; break;
    case UnaryOp::Sigmoid: mode = CUDNN_ACTIVATION_SIGMOID; break;
    case UnaryOp::Tanh: mode = CUDNN_ACTIVATION_TANH; break;
    default: return false;
  }
  const int64_t n = a.shape.numel();
  if (!usable(c, a.in.dtype, kActFwd) || a.out.dtype != a.in.dtype || n <= 0 || n > INT_MAX) return false;
  if (!contiguous(a.shape, a.in) || !contiguous(a.shape, a.out)) return false;
  const CudnnApi& api = *c.cudnn;
  std::lock_guard<std::mutex> lock(*c.cudnnMutex);
  try {
    const TensorDesc desc(api, a.in.dtype, 1, int(n), "unary");
    const ActivationDesc act(api, mode, "unary");
    const Scale sc;
    checkStatus(api.activationForward(c.cudnnHandle, act.get(), sc.alpha(a.in.dtype), desc.get(), a.in.data,
                                      sc.beta(a.in.dtype), desc.get(), a.out.data),
                "unary", "cudnnActivationForward");
  } catch (const CudnnFailure& e) { return fallBack(kActFwd, "unary", e); }
  return true;
}

// out (dx) from a (dy) and b: ReluBackward b = x; Sigmoid/TanhBackward b = y.
// cuDNN takes both y and x; for ReLU x > 0 iff relu(x) > 0, and the sigmoid
// and tanh gradients are functions of y, so b serves as both.
bool cudnnActivationBackward(const Ctx& c, const BinaryArgs& a) {
  cudnnActivationMode_t mode;
  switch (a.op) {
    case BinaryOp::ReluBackward: mode = CUDNN_ACTIVATION_RELU; break;
    case BinaryOp::SigmoidBackward: mode = CUDNN_ACTIVATION_SIGMOID; break;
    case BinaryOp::TanhBackward: mode = CUDNN_ACTIVATION_TANH; break;
    default: return false;
  }
  const int64_t n = a.shape.numel();
  if (!usable(c, a.a.dtype, kActBwd) || n <= 0 || n > INT_MAX) return false;
  if (!contiguous(a.shape, a.a) || !contiguous(a.shape, a.b) || !contiguous(a.shape, a.out)) return false;
  const CudnnApi& api = *c.cudnn;
  const DType dt = a.a.dtype;
  std::lock_guard<std::mutex> lock(*c.cudnnMutex);
  try {
    const TensorDesc desc(api, dt, 1, int(n), "binary");
    const ActivationDesc act(api, mode, "binary");
    const Scale sc;
    checkStatus(api.activationBackward(c.cudnnHandle, act.get(), sc.alpha(dt), desc.get(), a.b.data, desc.get(),
                                       a.a.data, desc.get(), a.b.data, sc.beta(dt), desc.get(), a.out.data),
                "binary", "cudnnActivationBackward");
  } catch (const CudnnFailure& e) { return fallBack(kActBwd, "binary", e); }
  return true;
}

// out [rows, cols] = softmax / log_softmax over cols
bool cudnnSoftmax(const Ctx& c, const SoftmaxArgs& a) {
  if (!usable(c, a.dtype, kSoftFwd) || a.rows <= 0 || a.cols <= 0 || a.rows > INT_MAX / a.cols) return false;
  const CudnnApi& api = *c.cudnn;
  std::lock_guard<std::mutex> lock(*c.cudnnMutex);
  try {
    const TensorDesc desc(api, a.dtype, int(a.rows), int(a.cols), "softmax");
    const Scale sc;
    checkStatus(api.softmaxForward(c.cudnnHandle, a.log ? CUDNN_SOFTMAX_LOG : CUDNN_SOFTMAX_ACCURATE,
                                   CUDNN_SOFTMAX_MODE_INSTANCE, sc.alpha(a.dtype), desc.get(), a.in, sc.beta(a.dtype),
                                   desc.get(), a.out),
                "softmax", "cudnnSoftmaxForward");
  } catch (const CudnnFailure& e) { return fallBack(kSoftFwd, "softmax", e); }
  return true;
}

// dx [rows, cols] from y and dy (see SoftmaxBackwardArgs)
bool cudnnSoftmaxBackward(const Ctx& c, const SoftmaxBackwardArgs& a) {
  if (!usable(c, a.dtype, kSoftBwd) || a.rows <= 0 || a.cols <= 0 || a.rows > INT_MAX / a.cols) return false;
  const CudnnApi& api = *c.cudnn;
  std::lock_guard<std::mutex> lock(*c.cudnnMutex);
  try {
    const TensorDesc desc(api, a.dtype, int(a.rows), int(a.cols), "softmaxBackward");
    const Scale sc;
    checkStatus(api.softmaxBackward(c.cudnnHandle, a.log ? CUDNN_SOFTMAX_LOG : CUDNN_SOFTMAX_ACCURATE,
                                    CUDNN_SOFTMAX_MODE_INSTANCE, sc.alpha(a.dtype), desc.get(), a.y, desc.get(), a.dy,
                                    sc.beta(a.dtype), desc.get(), a.dx),
                "softmaxBackward", "cudnnSoftmaxBackward");
  } catch (const CudnnFailure& e) { return fallBack(kSoftBwd, "softmaxBackward", e); }
  return true;
}

void recordCudnnFallback(const std::string& note) {
  std::fprintf(stderr, "%s\n", note.c_str());
  std::lock_guard<std::mutex> lock(gNotesMutex);
  gNotes->push_back(note);
}

std::vector<std::string> cudnnFallbackNotes() {
  std::lock_guard<std::mutex> lock(gNotesMutex);
  return *gNotes;
}

}  // namespace cuda
}  // namespace nt
