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
// failure too (a one-time notice in cudnnFallbackNotes(), then that function
// is not called again: cudnn_fallback.h).
// Calls hold ctx.cudnnMutex (one handle shared by every thread).
#include <climits>
#include <mutex>

#include "cuda/cudnn_fallback.h"
#include "cuda/kernels.h"

namespace nt {
namespace cuda {
namespace {

// The cuDNN functions nodetorch stops calling after a failure.
CudnnFallback gTrain, gInfer, gBackward;

// [n, c, h, 1]: batch norm sees contiguous [N, C, HW] as NCHW.
class Desc : public CudnnTensorDesc {
 public:
  Desc(const CudnnApi& api, DType dt, int64_t n, int64_t c, int64_t h)
      : CudnnTensorDesc(api, dt, int(n), int(c), int(h), 1) {}
};

// Sizes cuDNN's int descriptors hold; PyTorch 1.13's limits on N for its
// cuDNN batch norm (880801 training, 65535 eval) are kept.
bool fits(int64_t N, int64_t C, int64_t HW, bool training) {
  if (N > (training ? 880801 : 65535) || C > INT_MAX || HW > INT_MAX) return false;
  return N * C * HW < INT_MAX;
}

}  // namespace

bool cudnnBatchNormForward(const Ctx& c, const BatchNormForwardArgs& a) {
  CudnnFallback& f = a.training ? gTrain : gInfer;
  if (!c.cudnn || f.failed() || !isFloating(a.dtype)) return false;
  if (a.training ? !c.cudnn->bnForwardTraining : !c.cudnn->bnForwardInference) return false;
  if (!a.weight || !a.bias || a.eps < NT_CUDNN_BN_MIN_EPSILON || !fits(a.N, a.C, a.HW, a.training)) return false;
  // Eval writes the saved stats too (for an eval-mode backward): cuDNN does not.
  if (!a.training && a.saveMean) return false;
  const CudnnApi& api = *c.cudnn;
  const DType dt = a.dtype;
  std::lock_guard<std::mutex> lock(*c.cudnnMutex);
  try {
    const Desc x(api, dt, a.N, a.C, a.HW), p(api, dt, 1, a.C, 1);
    const CudnnScale s;
    if (a.training) {
      checkCudnn(api.bnForwardTraining(c.cudnnHandle, CUDNN_BATCHNORM_SPATIAL, s.alpha(dt), s.beta(dt), x.get(), a.in,
                                       x.get(), a.out, p.get(), a.weight, a.bias, a.momentum, a.runningMean,
                                       a.runningVar, a.eps, a.saveMean, a.saveInvstd),
                 "cudnnBatchNormalizationForwardTraining");
    } else {
      checkCudnn(api.bnForwardInference(c.cudnnHandle, CUDNN_BATCHNORM_SPATIAL, s.alpha(dt), s.beta(dt), x.get(), a.in,
                                        x.get(), a.out, p.get(), a.weight, a.bias, a.runningMean, a.runningVar, a.eps),
                 "cudnnBatchNormalizationForwardInference");
    }
  } catch (const CudnnFailure& e) { return f.fallBack("batch_norm", e); }
  return true;
}

bool cudnnBatchNormBackward(const Ctx& c, const BatchNormBackwardArgs& a) {
  if (!c.cudnn || !c.cudnn->bnBackward || gBackward.failed()) return false;
  if (!isFloating(a.dtype) || !a.training || !a.weight || !a.dx || !a.dweight || !a.dbias) return false;
  if (a.N * a.HW <= 0 || a.eps < NT_CUDNN_BN_MIN_EPSILON || !fits(a.N, a.C, a.HW, true)) return false;
  const CudnnApi& api = *c.cudnn;
  const DType dt = a.dtype;
  std::lock_guard<std::mutex> lock(*c.cudnnMutex);
  try {
    const Desc x(api, dt, a.N, a.C, a.HW), p(api, dt, 1, a.C, 1);
    const CudnnScale s;
    checkCudnn(api.bnBackward(c.cudnnHandle, CUDNN_BATCHNORM_SPATIAL, s.alpha(dt), s.beta(dt), s.alpha(dt), s.beta(dt),
                              x.get(), a.in, x.get(), a.dy, x.get(), a.dx, p.get(), a.weight, a.dweight, a.dbias, a.eps,
                              a.mean, a.invstd),
               "cudnnBatchNormalizationBackward");
  } catch (const CudnnFailure& e) { return gBackward.fallBack("batch_norm_backward", e); }
  return true;
}

}  // namespace cuda
}  // namespace nt
