// Max pooling over contiguous planes [planes, H, W] (MaxPool2dArgs): each
// output is the maximum over its window, taps outside the input skipped (as
// -inf padding), with the first position of that maximum, flat in H * W. A
// NaN wins over any number, and the first NaN stays (PyTorch's rule). Threads
// split the planes. The backward is scatter_add at the indices.
#include <algorithm>
#include <cstdint>
#include <limits>

#include "cpu/kernels_cpu.h"
#include "cpu/parallel.h"

namespace nt {
namespace cpu {
namespace {

template <class T>
void maxPoolPlanes(const MaxPool2dArgs& a, int64_t p0, int64_t p1) {
  const int64_t planeIn = a.H * a.W, planeOut = a.Ho * a.Wo;
  for (int64_t p = p0; p < p1; ++p) {
    const T* in = static_cast<const T*>(a.in) + p * planeIn;
    T* out = static_cast<T*>(a.out) + p * planeOut;
    int64_t* idx = static_cast<int64_t*>(a.indices) + p * planeOut;
    for (int64_t oh = 0; oh < a.Ho; ++oh) {
      const int64_t h0 = oh * a.sh - a.ph;
      for (int64_t ow = 0; ow < a.Wo; ++ow) {
        const int64_t w0 = ow * a.sw - a.pw;
        T best = -std::numeric_limits<T>::infinity();
        int64_t at = -1;
        for (int64_t i = 0; i < a.kh; ++i) {
          const int64_t h = h0 + i * a.dh;
          if (h < 0 || h >= a.H) continue;
          for (int64_t j = 0; j < a.kw; ++j) {
            const int64_t w = w0 + j * a.dw;
            if (w < 0 || w >= a.W) continue;
            const T v = in[h * a.W + w];
            if (at < 0 || v > best || (v != v && best == best)) {
              best = v;
              at = h * a.W + w;
            }
          }
        }
        // A window wholly in the padding (impossible with PyTorch's padding
        // limit, possible with hostile arguments) gives -inf at its first
        // in-bounds neighbour's place: index 0 keeps scatter_add in range.
        out[oh * a.Wo + ow] = best;
        idx[oh * a.Wo + ow] = at < 0 ? 0 : at;
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
