/*
 * Average pooling on the device (AvgPool2dArgs) and its backward, the twins
 * of cpu/avg_pool.cpp with the same window and divisor rule
 * (common/avg_pool_window.h). Forward: one thread per output. Backward: one
 * thread per input element, gathering dy / divisor over the windows that
 * cover it (no atomics, so the result does not depend on scheduling).
 * cuDNN takes the cases it computes exactly (pool_cudnn.cpp) first.
 */
#include <cuda_runtime.h>

#include "common/avg_pool_window.h"
#include "common/pool_reach.h"
#include "cuda/device_utils.cuh"
#include "cuda/kernels.h"

namespace nt {
namespace cuda {
namespace {

template <typename T>
__global__ void avgPool2dKernel(AvgPool2dArgs a, T* out, const T* in) {
  const int64_t n = a.planes * a.Ho * a.Wo;
  const int64_t step = int64_t(gridDim.x) * blockDim.x;
  for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < n; e += step) {
    const int64_t ow = e % a.Wo, t = e / a.Wo;
    const int64_t oh = t % a.Ho, p = t / a.Ho;
    const AvgWindow win = avgWindow(oh, ow, a.H, a.W, a.kh, a.kw, a.sh, a.sw, a.ph, a.pw, a.countIncludePad, a.divisor);
    const T* plane = in + p * a.H * a.W;
    T s = 0;
    for (int64_t h = win.h0; h < win.h1; ++h)
      for (int64_t w = win.w0; w < win.w1; ++w) s += plane[h * a.W + w];
    out[e] = win.h0 < win.h1 && win.w0 < win.w1 ? s / T(win.divisor) : T(0);
  }
}

template <typename T>
__global__ void avgPool2dBackwardKernel(AvgPool2dBackwardArgs a, T* dx, const T* dy) {
  const int64_t n = a.planes * a.H * a.W;
  const int64_t step = int64_t(gridDim.x) * blockDim.x;
  for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < n; e += step) {
    const int64_t w = e % a.W, t = e / a.W;
    const int64_t h = t % a.H, p = t / a.H;
    int64_t oh0, oh1, ow0, ow1;
    poolReachingRange(h, a.Ho, a.kh, a.sh, a.ph, 1, &oh0, &oh1);
    poolReachingRange(w, a.Wo, a.kw, a.sw, a.pw, 1, &ow0, &ow1);
    const T* g = dy + p * a.Ho * a.Wo;
    T s = 0;
    for (int64_t oh = oh0; oh < oh1; ++oh)
      for (int64_t ow = ow0; ow < ow1; ++ow) {
        const AvgWindow win =
            avgWindow(oh, ow, a.H, a.W, a.kh, a.kw, a.sh, a.sw, a.ph, a.pw, a.countIncludePad, a.divisor);
        s += g[oh * a.Wo + ow] / T(win.divisor);
      }
    dx[e] = s;
  }
}

}  // namespace

void launchAvgPool2d(const Ctx& c, const AvgPool2dArgs& a) {
  const int64_t n = a.planes * a.Ho * a.Wo;
  if (n == 0 || cudnnAvgPool2d(c, a)) return;
  NT_DISPATCH_FLOAT(a.dtype, "avg_pool2d", [&] {
    avgPool2dKernel<T>
        <<<gridFor(n, kThreads), kThreads, 0, c.stream>>>(a, static_cast<T*>(a.out), static_cast<const T*>(a.in));
    checkLaunch("avg_pool2d");
  });
}

void launchAvgPool2dBackward(const Ctx& c, const AvgPool2dBackwardArgs& a) {
  const int64_t n = a.planes * a.H * a.W;
  if (n == 0 || cudnnAvgPool2dBackward(c, a)) return;
  NT_DISPATCH_FLOAT(a.dtype, "avg_pool2d_backward", [&] {
    avgPool2dBackwardKernel<T>
        <<<gridFor(n, kThreads), kThreads, 0, c.stream>>>(a, static_cast<T*>(a.dx), static_cast<const T*>(a.dy));
    checkLaunch("avg_pool2d_backward");
  });
}

}  // namespace cuda
}  // namespace nt
