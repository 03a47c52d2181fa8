// cuDNN paths (cuDNN 9 loaded at run time, optional): ReLU / sigmoid / tanh
// forward and backward, softmax / log-softmax forward and backward, for
// contiguous float32/float64 tensors whose sizes fit cuDNN's int
// descriptors. Each entry returns false when it does not apply, and the
// caller runs nodetorch's own kernel instead; it also returns false when
// cuDNN reports a failure (not supported, a sub-library that did not load):
// the first failure of each cuDNN function prints a one-time notice and that
// function is not called again (cudnn_fallback.h). Calls hold ctx.cudnnMutex (one handle is
// shared by every thread, and cuDNN forbids concurrent use of a handle).
#include <climits>
#include <mutex>

#include "cuda/cudnn_fallback.h"
#include "cuda/kernels.h"

namespace nt {
namespace cuda {
namespace {

// The cuDNN functions nodetorch stops calling after a failure.
CudnnFallback gActFwd, gActBwd, gSoftFwd, gSoftBwd;

// A [n, c, 1, 1] descriptor: the elementwise and softmax calls' layout.
class TensorDesc : public CudnnTensorDesc {
 public:
  TensorDesc(const CudnnApi& api, DType dt, int n, int c) : CudnnTensorDesc(api, dt, n, c, 1, 1) {}
};

class ActivationDesc {
 public:
  ActivationDesc(const CudnnApi& api, cudnnActivationMode_t mode) : api_(api) {
    checkCudnn(api.createActivationDescriptor(&d_), "cudnnCreateActivationDescriptor");
    // NaN propagates through ReLU, like scalar::relu (and PyTorch).
    const cudnnStatus_t s = api.setActivationDescriptor(d_, mode, CUDNN_PROPAGATE_NAN, 0.0);
    if (s != CUDNN_STATUS_SUCCESS) {
      api.destroyActivationDescriptor(d_);
      checkCudnn(s, "cudnnSetActivationDescriptor");
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

bool usable(const Ctx& c, DType dt, const CudnnFallback& f) {
  return c.cudnn != nullptr && isFloating(dt) && !f.failed();
}

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
  if (!usable(c, a.in.dtype, gActFwd) || a.out.dtype != a.in.dtype || n <= 0 || n > INT_MAX) return false;
  if (!contiguous(a.shape, a.in) || !contiguous(a.shape, a.out)) return false;
  const CudnnApi& api = *c.cudnn;
  std::lock_guard<std::mutex> lock(*c.cudnnMutex);
  try {
    const TensorDesc desc(api, a.in.dtype, 1, int(n));
    const ActivationDesc act(api, mode);
    const CudnnScale sc;
    checkCudnn(api.activationForward(c.cudnnHandle, act.get(), sc.alpha(a.in.dtype), desc.get(), a.in.data,
                                     sc.beta(a.in.dtype), desc.get(), a.out.data),
               "cudnnActivationForward");
  } catch (const CudnnFailure& e) { return gActFwd.fallBack("unary", e); }
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
  if (!usable(c, a.a.dtype, gActBwd) || n <= 0 || n > INT_MAX) return false;
  if (!contiguous(a.shape, a.a) || !contiguous(a.shape, a.b) || !contiguous(a.shape, a.out)) return false;
  const CudnnApi& api = *c.cudnn;
  const DType dt = a.a.dtype;
  std::lock_guard<std::mutex> lock(*c.cudnnMutex);
  try {
    const TensorDesc desc(api, dt, 1, int(n));
    const ActivationDesc act(api, mode);
    const CudnnScale sc;
    checkCudnn(api.activationBackward(c.cudnnHandle, act.get(), sc.alpha(dt), desc.get(), a.b.data, desc.get(),
                                      a.a.data, desc.get(), a.b.data, sc.beta(dt), desc.get(), a.out.data),
               "cudnnActivationBackward");
  } catch (const CudnnFailure& e) { return gActBwd.fallBack("binary", e); }
  return true;
}

// out [rows, cols] = softmax / log_softmax over cols
bool cudnnSoftmax(const Ctx& c, const SoftmaxArgs& a) {
  if (!usable(c, a.dtype, gSoftFwd) || a.rows <= 0 || a.cols <= 0 || a.rows > INT_MAX / a.cols) return false;
  const CudnnApi& api = *c.cudnn;
  std::lock_guard<std::mutex> lock(*c.cudnnMutex);
  try {
    const TensorDesc desc(api, a.dtype, int(a.rows), int(a.cols));
    const CudnnScale sc;
    checkCudnn(api.softmaxForward(c.cudnnHandle, a.log ? CUDNN_SOFTMAX_LOG : CUDNN_SOFTMAX_ACCURATE,
                                  CUDNN_SOFTMAX_MODE_INSTANCE, sc.alpha(a.dtype), desc.get(), a.in, sc.beta(a.dtype),
                                  desc.get(), a.out),
               "cudnnSoftmaxForward");
  } catch (const CudnnFailure& e) { return gSoftFwd.fallBack("softmax", e); }
  return true;
}

// dx [rows, cols] from y and dy (see SoftmaxBackwardArgs)
bool cudnnSoftmaxBackward(const Ctx& c, const SoftmaxBackwardArgs& a) {
  if (!usable(c, a.dtype, gSoftBwd) || a.rows <= 0 || a.cols <= 0 || a.rows > INT_MAX / a.cols) return false;
  const CudnnApi& api = *c.cudnn;
  std::lock_guard<std::mutex> lock(*c.cudnnMutex);
  try {
    const TensorDesc desc(api, a.dtype, int(a.rows), int(a.cols));
    const CudnnScale sc;
    checkCudnn(api.softmaxBackward(c.cudnnHandle, a.log ? CUDNN_SOFTMAX_LOG : CUDNN_SOFTMAX_ACCURATE,
                                   CUDNN_SOFTMAX_MODE_INSTANCE, sc.alpha(a.dtype), desc.get(), a.y, desc.get(), a.dy,
                                   sc.beta(a.dtype), desc.get(), a.dx),
               "cudnnSoftmaxBackward");
  } catch (const CudnnFailure& e) { return gSoftBwd.fallBack("softmaxBackward", e); }
  return true;
}

}  // namespace cuda
}  // namespace nt
