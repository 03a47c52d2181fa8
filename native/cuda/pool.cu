/*
 * Max pooling on the device (MaxPool2dArgs), the twin of cpu/pool.cpp: one
 * thread per output element, taps outside the input skipped (-inf padding),
 * the first position of the maximum kept, flat in H * W; a NaN wins and the
 * last NaN stays. The backward is scatter_add at the indices.
 */
#include <cuda_runtime.h>

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

}  // namespace

void launchMaxPool2d(const Ctx& c, const MaxPool2dArgs& a) {
  const int64_t n = a.planes * a.Ho * a.Wo;
  if (n == 0) return;
  NT_DISPATCH_FLOAT(a.dtype, "max_pool2d", [&] {
    maxPool2dKernel<T><<<gridFor(n, kThreads), kThreads, 0, c.stream>>>(
        a, static_cast<T*>(a.out), static_cast<int64_t*>(a.indices), static_cast<const T*>(a.in));
    checkLaunch("max_pool2d");
  });
}

}  // namespace cuda
}  // namespace nt
