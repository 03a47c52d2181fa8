// cuDNN batch norm (CUDNN_BATCHNORM_SPATIAL, cuDNN 9's legacy API, loaded at
// run time and optional): training and inference forward, training backward,
// over contiguous [N, C, HW] seen as NCHW [N, C, HW, 1]. Conventions match
// PyTorch and the own kernels (batch_norm.cu): the saved inverse std is
// 1 / sqrt(biased var + eps), the running variance moves towards the
// unbiased one, the running stats by exponentialAverageFactor = momentum.
// cuDNN needs a scale and a bias (and computes dScale and dBias in the
// backward), so the cases without them, the eval-mode backward (running
// stats as constants), sizes beyond int and PyTorch's batch-size limits go
// to the own kernels: each entry returns false, and false after a cuDNN
// failure too (a one-time notice, then that function is not called again).
// Calls hold ctx.cudnnMutex (one handle shared by every thread).
#include <atomic>
#include <climits>
#include <cstdio>
#include <mutex>
#include <string>

#include "cuda/kernels.h"

namespace nt {
namespace cuda {
namespace {

struct BnFailure {
  const char* fn;
  cudnnStatus_t status;
};

void check(cudnnStatus_t s, const char* fn) {
  if (s != CUDNN_STATUS_SUCCESS) throw BnFailure{fn, s};
}

enum Fn { kTrain, kInfer, kBackward, kFnCount };
std::atomic<bool> gFailed[kFnCount];

bool fallBack(Fn f, const char* op, const BnFailure& e) {
  if (!gFailed[f].exchange(true))
    std::fprintf(stderr,
                 "nodetorch: cuDNN %s failed for %s (%s); using nodetorch's own kernel for it from now on "
                 "(NODETORCH_CUDNN=0 skips cuDNN)\n",
                 e.fn, op, cudnnStatusText(e.status).c_str());
  return false;
}

// An NCHW descriptor, destroyed with the object.
class Desc {
 public:
  Desc(const CudnnApi& api, DType dt, int64_t n, int64_t c, int64_t h) : api_(api) {
    check(api.createTensorDescriptor(&d_), "cudnnCreateTensorDescriptor");
    const cudnnStatus_t s = api.setTensor4dDescriptor(
        d_, CUDNN_TENSOR_NCHW, dt == DType::Float32 ? CUDNN_DATA_FLOAT : CUDNN_DATA_DOUBLE, int(n), int(c), int(h), 1);
    if (s != CUDNN_STATUS_SUCCESS) {
      api.destroyTensorDescriptor(d_);
      check(s, "cudnnSetTensor4dDescriptor");
    }
  }
  ~Desc() { api_.destroyTensorDescriptor(d_); }
  Desc(const Desc&) = delete;
  Desc& operator=(const Desc&) = delete;
  cudnnTensorDescriptor_t get() const { return d_; }

 private:
  const CudnnApi& api_;
  cudnnTensorDescriptor_t d_ = nullptr;
};

// alpha = 1, beta = 0 in the data type's host type (cuDNN's rule).
struct OneZero {
  float f[2] = {1.0f, 0.0f};
  double d[2] = {1.0, 0.0};
  const void* one(DType t) const { return t == DType::Float32 ? static_cast<const void*>(&f[0]) : &d[0]; }
  const void* zero(DType t) const { return t == DType::Float32 ? static_cast<const void*>(&f[1]) : &d[1]; }
};

// Sizes cuDNN's int descriptors hold; PyTorch 1.13's limits on N for its
// cuDNN batch norm (880801 training, 65535 eval) are kept.
bool fits(int64_t N, int64_t C, int64_t HW, bool training) {
  if (N > (training ? 880801 : 65535) || C > INT_MAX || HW > INT_MAX) return false;
  return N * C * HW < INT_MAX;
}

}  // namespace

bool cudnnBatchNormForward(const Ctx& c, const BatchNormForwardArgs& a) {
  const Fn f = a.training ? kTrain : kInfer;
  if (!c.cudnn || gFailed[f].load(std::memory_order_relaxed) || !isFloating(a.dtype)) return false;
  if (a.training ? !c.cudnn->bnForwardTraining : !c.cudnn->bnForwardInference) return false;
  if (!a.weight || !a.bias || a.eps < NT_CUDNN_BN_MIN_EPSILON || !fits(a.N, a.C, a.HW, a.training)) return false;
  // Eval writes the saved stats too (for an eval-mode backward): cuDNN does not.
  if (!a.training && a.saveMean) return false;
  const CudnnApi& api = *c.cudnn;
  const DType dt = a.dtype;
  std::lock_guard<std::mutex> lock(*c.cudnnMutex);
  try {
    const Desc x(api, dt, a.N, a.C, a.HW), p(api, dt, 1, a.C, 1);
    const OneZero s;
    if (a.training) {
      check(api.bnForwardTraining(c.cudnnHandle, CUDNN_BATCHNORM_SPATIAL, s.one(dt), s.zero(dt), x.get(), a.in, x.get(),
                                  a.out, p.get(), a.weight, a.bias, a.momentum, a.runningMean, a.runningVar, a.eps,
                                  a.saveMean, a.saveInvstd),
            "cudnnBatchNormalizationForwardTraining");
    } else {
      check(api.bnForwardInference(c.cudnnHandle, CUDNN_BATCHNORM_SPATIAL, s.one(dt), s.zero(dt), x.get(), a.in,
                                   x.get(), a.out, p.get(), a.weight, a.bias, a.runningMean, a.runningVar, a.eps),
            "cudnnBatchNormalizationForwardInference");
    }
  } catch (const BnFailure& e) { return fallBack(f, "batch_norm", e); }
  return true;
}

bool cudnnBatchNormBackward(const Ctx& c, const BatchNormBackwardArgs& a) {
  if (!c.cudnn || !c.cudnn->bnBackward || gFailed[kBackward].load(std::memory_order_relaxed)) return false;
  if (!isFloating(a.dtype) || !a.training || !a.weight || !a.dx || !a.dweight || !a.dbias) return false;
  if (a.N * a.HW <= 0 || a.eps < NT_CUDNN_BN_MIN_EPSILON || !fits(a.N, a.C, a.HW, true)) return false;
  const CudnnApi& api = *c.cudnn;
  const DType dt = a.dtype;
  std::lock_guard<std::mutex> lock(*c.cudnnMutex);
  try {
    const Desc x(api, dt, a.N, a.C, a.HW), p(api, dt, 1, a.C, 1);
    const OneZero s;
    check(api.bnBackward(c.cudnnHandle, CUDNN_BATCHNORM_SPATIAL, s.one(dt), s.zero(dt), s.one(dt), s.zero(dt), x.get(),
                         a.in, x.get(), a.dy, x.get(), a.dx, p.get(), a.weight, a.dweight, a.dbias, a.eps, a.mean,
                         a.invstd),
          "cudnnBatchNormalizationBackward");
  } catch (const BnFailure& e) { return fallBack(kBackward, "batch_norm_backward", e); }
  return true;
}

}  // namespace cuda
}  // namespace nt
