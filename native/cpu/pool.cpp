// Max pooling over contiguous planes [planes, H, W] (MaxPool2dArgs): each
// output is the maximum over its window, taps outside the input skipped (as
// -inf padding), with the first position of that maximum, flat in H * W. A
// NaN wins over any number, and the last NaN stays (PyTorch's rule). Threads
// split the planes. The backward is scatter_add at the indices.
#include <algorithm>
#include <cstdint>
#include <limits>

#include "cpu/kernels_cpu.h"
#include "cpu/parallel.h"

namespace nt {
namespace cpu {
namespace {

// Fields copied to locals: `idx` is int64_t*, so its stores could alias the
// args' int64_t fields, which the compiler would then reload in every loop.
template <class T>
void maxPoolPlanes(const MaxPool2dArgs& a, int64_t p0, int64_t p1) {
  const int64_t H = a.H, W = a.W, Ho = a.Ho, Wo = a.Wo, kh = a.kh, kw = a.kw;
  const int64_t sh = a.sh, sw = a.sw, ph = a.ph, pw = a.pw, dh = a.dh, dw = a.dw;
  const int64_t planeIn = H * W, planeOut = Ho * Wo;
  for (int64_t p = p0; p < p1; ++p) {
    const T* __restrict in = static_cast<const T*>(a.in) + p * planeIn;
    T* __restrict out = static_cast<T*>(a.out) + p * planeOut;
    int64_t* __restrict idx = static_cast<int64_t*>(a.indices) + p * planeOut;
    for (int64_t oh = 0; oh < Ho; ++oh) {
      const int64_t h0 = oh * sh - ph;
      for (int64_t ow = 0; ow < Wo; ++ow) {
        const int64_t w0 = ow * sw - pw;
        T best = -std::numeric_limits<T>::infinity();
        int64_t at = -1;
        for (int64_t i = 0; i < kh; ++i) {
          const int64_t h = h0 + i * dh;
          if (h < 0 || h >= H) continue;
          const T* row = in + h * W;
          for (int64_t j = 0; j < kw; ++j) {
            const int64_t w = w0 + j * dw;
            if (w < 0 || w >= W) continue;
            const T v = row[w];
            if (at < 0 || v > best || v != v) {  // PyTorch: a NaN wins, the last one stays
              best = v;
              at = h * W + w;
            }
          }
        }
        // A window wholly in the padding (only with hostile arguments) gives
        // -inf at position 0, which keeps the backward's scatter in range.
        out[oh * Wo + ow] = best;
        idx[oh * Wo + ow] = at < 0 ? 0 : at;
      }
    }
  }
}

}  // namespace

void maxPool2d(const MaxPool2dArgs& a) {
  const int64_t work = a.Ho * a.Wo * a.kh * a.kw;
  const int64_t grain = work > 0 ? std::max<int64_t>(1, (int64_t(1) << 15) / work) : 1;
  NT_DISPATCH_FLOAT(a.dtype, "max_pool2d", [&] {
    parallelFor(0, a.planes, grain, [&](int64_t p0, int64_t p1) { maxPoolPlanes<T>(a, p0, p1); });
  });
}

}  // namespace cpu
}  // namespace nt
