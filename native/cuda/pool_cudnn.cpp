// cuDNN pooling (cuDNN 9's legacy API, loaded at run time, optional), used
// only where it gives exactly what nodetorch's kernels give:
//  - average pooling forward and backward without divisorOverride, whose
//    windows are cuDNN's (output size by floor, so ceilMode only when it adds
//    no window): COUNT_INCLUDE_PADDING or COUNT_EXCLUDE_PADDING as
//    countIncludePad says;
//  - max pooling forward without dilation when no indices are wanted (eval
//    or no grad). cuDNN returns no indices and breaks ties its own way, so
//    training keeps our kernel (pool.cu), whose first-maximum indices route
//    the gradient as PyTorch does. NaN propagates, as in our kernel.
// Planes [planes, H, W] are NCHW [planes, 1, H, W]. Each entry returns false
// when cuDNN does not apply and after a cuDNN failure (a one-time notice,
// then that function is not called again: cudnn_fallback.h).
// Calls hold ctx.cudnnMutex (one handle shared by every thread).
#include <climits>
#include <mutex>

#include "cuda/cudnn_fallback.h"
#include "cuda/kernels.h"

namespace nt {
namespace cuda {
namespace {

CudnnFallback gMaxForward, gAvgForward, gAvgBackward;

class PoolDesc {
 public:
  PoolDesc(const CudnnApi& api, cudnnPoolingMode_t mode, int64_t kh, int64_t kw, int64_t ph, int64_t pw, int64_t sh,
           int64_t sw)
      : api_(api) {
    checkCudnn(api.createPoolingDescriptor(&d_), "cudnnCreatePoolingDescriptor");
    const cudnnStatus_t s =
        api.setPooling2dDescriptor(d_, mode, CUDNN_PROPAGATE_NAN, int(kh), int(kw), int(ph), int(pw), int(sh), int(sw));
    if (s != CUDNN_STATUS_SUCCESS) {
      api.destroyPoolingDescriptor(d_);
      checkCudnn(s, "cudnnSetPooling2dDescriptor");
    }
  }
  ~PoolDesc() { api_.destroyPoolingDescriptor(d_); }
  PoolDesc(const PoolDesc&) = delete;
  PoolDesc& operator=(const PoolDesc&) = delete;
  cudnnPoolingDescriptor_t get() const { return d_; }

 private:
  const CudnnApi& api_;
  cudnnPoolingDescriptor_t d_ = nullptr;
};

// The geometry the three entries share (dilation 1).
struct Geometry {
  DType dtype;
  int64_t planes, H, W, Ho, Wo, kh, kw, sh, sw, ph, pw;
};

// cuDNN's output size is 1 + (n + 2p - k) / s (floor); a ceilMode output
// with one more window is not cuDNN's.
bool floorSize(int64_t n, int64_t no, int64_t k, int64_t s, int64_t p) {
  return n + 2 * p >= k && no == 1 + (n + 2 * p - k) / s;
}

bool usable(const Ctx& c, const CudnnFallback& f, const Geometry& g) {
  if (!c.cudnn || !c.cudnn->poolLoaded || f.failed() || !isFloating(g.dtype)) return false;
  const int64_t dims[] = {g.planes, g.H, g.W, g.Ho, g.Wo, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw};
  for (int64_t d : dims)
    if (d < 0 || d > INT_MAX) return false;
  if (g.planes == 0 || g.Ho == 0 || g.Wo == 0 || g.ph >= g.kh || g.pw >= g.kw) return false;
  if (double(g.planes) * g.H * g.W >= INT_MAX || double(g.planes) * g.Ho * g.Wo >= INT_MAX) return false;
  return floorSize(g.H, g.Ho, g.kh, g.sh, g.ph) && floorSize(g.W, g.Wo, g.kw, g.sw, g.pw);
}

template <class A>
Geometry geometryOf(const A& a) {
  return {a.dtype, a.planes, a.H, a.W, a.Ho, a.Wo, a.kh, a.kw, a.sh, a.sw, a.ph, a.pw};
}

cudnnPoolingMode_t averageMode(bool countIncludePad) {
  return countIncludePad ? CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING : CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING;
}

bool forward(const Ctx& c, CudnnFallback& f, const char* op, const Geometry& g, cudnnPoolingMode_t mode, const void* in,
             void* out) {
  const CudnnApi& api = *c.cudnn;
  std::lock_guard<std::mutex> lock(*c.cudnnMutex);
  try {
    const PoolDesc pool(api, mode, g.kh, g.kw, g.ph, g.pw, g.sh, g.sw);
    const CudnnTensorDesc x(api, g.dtype, int(g.planes), 1, int(g.H), int(g.W));
    const CudnnTensorDesc y(api, g.dtype, int(g.planes), 1, int(g.Ho), int(g.Wo));
    const CudnnScale sc;
    checkCudnn(
        api.poolingForward(c.cudnnHandle, pool.get(), sc.alpha(g.dtype), x.get(), in, sc.beta(g.dtype), y.get(), out),
        "cudnnPoolingForward");
  } catch (const CudnnFailure& e) { return f.fallBack(op, e); }
  return true;
}

}  // namespace

bool cudnnMaxPool2d(const Ctx& c, const MaxPool2dArgs& a) {
  const Geometry g = geometryOf(a);
  if (a.indices || a.dh != 1 || a.dw != 1 || !usable(c, gMaxForward, g)) return false;
  return forward(c, gMaxForward, "max_pool2d", g, CUDNN_POOLING_MAX, a.in, a.out);
}

bool cudnnAvgPool2d(const Ctx& c, const AvgPool2dArgs& a) {
  const Geometry g = geometryOf(a);
  if (a.divisor != 0 || !usable(c, gAvgForward, g)) return false;
  return forward(c, gAvgForward, "avg_pool2d", g, averageMode(a.countIncludePad), a.in, a.out);
}

bool cudnnAvgPool2dBackward(const Ctx& c, const AvgPool2dBackwardArgs& a) {
  const Geometry g = geometryOf(a);
  if (a.divisor != 0 || !usable(c, gAvgBackward, g)) return false;
  const CudnnApi& api = *c.cudnn;
  std::lock_guard<std::mutex> lock(*c.cudnnMutex);
  try {
    const PoolDesc pool(api, averageMode(a.countIncludePad), g.kh, g.kw, g.ph, g.pw, g.sh, g.sw);
    const CudnnTensorDesc x(api, g.dtype, int(g.planes), 1, int(g.H), int(g.W));
    const CudnnTensorDesc y(api, g.dtype, int(g.planes), 1, int(g.Ho), int(g.Wo));
    const CudnnScale sc;
    // The average gradient depends on neither y nor x, which the call still
    // takes: dy and dx stand in for them (gpu-check compares this path with
    // avg_pool.cu's kernel).
    checkCudnn(api.poolingBackward(c.cudnnHandle, pool.get(), sc.alpha(g.dtype), y.get(), a.dy, y.get(), a.dy, x.get(),
                                   a.dx, sc.beta(g.dtype), x.get(), a.dx),
               "cudnnPoolingBackward");
  } catch (const CudnnFailure& e) { return gAvgBackward.fallBack("avg_pool2d_backward", e); }
  return true;
}

}  // namespace cuda
}  // namespace nt
