/*
 * Max pooling on the device (MaxPool2dArgs), the twin of cpu/pool.cpp: one
 * thread per output element, taps outside the input skipped (-inf padding),
 * the first position of the maximum kept, flat in H * W; a NaN wins and the
 * last NaN stays. Without indices (no autograd) cuDNN runs it when it can
 * (pool_cudnn.cpp); with them it never does: cuDNN returns no indices and
 * may break ties differently, which would move the gradient.
 * The backward (maxPool2dBackward) gathers: one thread per input element
 * sums dy over the windows that can hold it whose index points at it, in
 * output order, so it equals the scatter-add at the indices (and the CPU's
 * per-plane loop) without atomics; position 0 also takes the dilated windows
 * wholly in the padding, whose index is 0.
 */
#include <cuda_runtime.h>

#include "common/pool_reach.h"
#include "cuda/device_utils.cuh"
#include "cuda/kernels.h"

namespace nt {
namespace cuda {
namespace {

template <typename T>
__global__ void maxPool2dKernel(MaxPool2dArgs a, T* out, int64_t* indices, const T* in) {
  const int64_t n = a.planes * a.Ho * a.Wo;
  const int64_t step = int64_t(gridDim.x) * blockDim.x;
  for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < n; e += step) {
    const int64_t ow = e % a.Wo, t = e / a.Wo;
    const int64_t oh = t % a.Ho, p = t / a.Ho;
    const T* plane = in + p * a.H * a.W;
    const int64_t h0 = oh * a.sh - a.ph, w0 = ow * a.sw - a.pw;
    T best = -INFINITY;
    int64_t at = -1;
    for (int64_t i = 0; i < a.kh; ++i) {
      const int64_t h = h0 + i * a.dh;
      if (h < 0 || h >= a.H) continue;
      for (int64_t j = 0; j < a.kw; ++j) {
        const int64_t w = w0 + j * a.dw;
        if (w < 0 || w >= a.W) continue;
        const T v = plane[h * a.W + w];
        if (at < 0 || v > best || v != v) {  // PyTorch: a NaN wins, the last one stays
          best = v;
          at = h * a.W + w;
        }
      }
    }
    out[e] = best;
    if (indices) indices[e] = at < 0 ? 0 : at;  // null: the maxima only
  }
}

template <typename T>
__global__ void maxPool2dBackwardKernel(MaxPool2dBackwardArgs a, T* dx, const T* dy, const int64_t* indices) {
  const int64_t n = a.planes * a.H * a.W;
  const int64_t step = int64_t(gridDim.x) * blockDim.x;
  for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < n; e += step) {
    const int64_t w = e % a.W, t = e / a.W;
    const int64_t h = t % a.H, p = t / a.H;
    int64_t oh0, oh1, ow0, ow1;
    poolReachingRange(h, a.Ho, a.kh, a.sh, a.ph, a.dh, &oh0, &oh1);
    poolReachingRange(w, a.Wo, a.kw, a.sw, a.pw, a.dw, &ow0, &ow1);
    const int64_t self = h * a.W + w, plane = p * a.Ho * a.Wo;
    // Only dilated windows can lie wholly in the padding (their index is 0):
    // position 0 then looks at every window.
    if (self == 0 && (a.dh > 1 || a.dw > 1)) {
      oh0 = ow0 = 0;
      oh1 = a.Ho;
      ow1 = a.Wo;
    }
    T s = 0;
    for (int64_t oh = oh0; oh < oh1; ++oh)
      for (int64_t ow = ow0; ow < ow1; ++ow) {
        const int64_t o = plane + oh * a.Wo + ow;
        if (indices[o] == self) s += dy[o];
      }
    dx[e] = s;
  }
}

}  // namespace

void launchMaxPool2dBackward(const Ctx& c, const MaxPool2dBackwardArgs& a) {
  const int64_t n = a.planes * a.H * a.W;
  if (n == 0) return;
  NT_DISPATCH_FLOAT(a.dtype, "max_pool2d_backward", [&] {
    maxPool2dBackwardKernel<T><<<gridFor(n, kThreads), kThreads, 0, c.stream>>>(
        a, static_cast<T*>(a.dx), static_cast<const T*>(a.dy), static_cast<const int64_t*>(a.indices));
    checkLaunch("max_pool2d_backward");
  });
}

void launchMaxPool2d(const Ctx& c, const MaxPool2dArgs& a) {
  const int64_t n = a.planes * a.Ho * a.Wo;
  if (n == 0 || (!a.indices && cudnnMaxPool2d(c, a))) return;
  NT_DISPATCH_FLOAT(a.dtype, "max_pool2d", [&] {
    maxPool2dKernel<T><<<gridFor(n, kThreads), kThreads, 0, c.stream>>>(
        a, static_cast<T*>(a.out), static_cast<int64_t*>(a.indices), static_cast<const T*>(a.in));
    checkLaunch("max_pool2d");
  });
}

}  // namespace cuda
}  // namespace nt
