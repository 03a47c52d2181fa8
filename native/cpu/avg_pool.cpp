// Average pooling over contiguous planes [planes, H, W] (AvgPool2dArgs) and
// its backward, with PyTorch's divisor rule (common/avg_pool_window.h).
// Threads split the planes. A window's rows depend only on oh and its
// columns only on ow, so per output row the forward first sums the window's
// input rows into one row of column sums (a contiguous, vectorized add per
// input row), then each output adds its kw column sums; the backward is the
// mirror: each output row spreads dy / divisor into one row buffer, which is
// added to every input row of the window. The row buffer is per thread and
// reused across calls.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "common/avg_pool_window.h"
#include "cpu/kernels_cpu.h"
#include "cpu/parallel.h"

namespace nt {
namespace cpu {
namespace {

// A per-thread row of W elements, grown when a wider plane comes.
template <class T>
T* rowBuffer(int64_t W) {
  thread_local std::vector<T> buf;
  if (int64_t(buf.size()) < W) buf.resize(size_t(W));
  return buf.data();
}

template <class A>
AvgWindow windowOf(const A& a, int64_t oh, int64_t ow) {
  return avgWindow(oh, ow, a.H, a.W, a.kh, a.kw, a.sh, a.sw, a.ph, a.pw, a.countIncludePad, a.divisor);
}

template <class T>
void forwardPlanes(const AvgPool2dArgs& a, int64_t p0, int64_t p1) {
  const int64_t H = a.H, W = a.W, Ho = a.Ho, Wo = a.Wo;
  T* __restrict col = rowBuffer<T>(W);
  for (int64_t p = p0; p < p1; ++p) {
    const T* __restrict in = static_cast<const T*>(a.in) + p * H * W;
    T* __restrict out = static_cast<T*>(a.out) + p * Ho * Wo;
    for (int64_t oh = 0; oh < Ho; ++oh) {
      const AvgWindow rows = windowOf(a, oh, 0);
      if (rows.h0 >= rows.h1) {
        std::fill(out + oh * Wo, out + (oh + 1) * Wo, T(0));
        continue;
      }
      std::copy(in + rows.h0 * W, in + (rows.h0 + 1) * W, col);
      for (int64_t h = rows.h0 + 1; h < rows.h1; ++h) {
        const T* __restrict r = in + h * W;
        for (int64_t w = 0; w < W; ++w) col[w] += r[w];
      }
      for (int64_t ow = 0; ow < Wo; ++ow) {
        const AvgWindow win = windowOf(a, oh, ow);
        T s = 0;
        for (int64_t w = win.w0; w < win.w1; ++w) s += col[w];
        out[oh * Wo + ow] = win.w0 < win.w1 ? s / T(win.divisor) : T(0);
      }
    }
  }
}

template <class T>
void backwardPlanes(const AvgPool2dBackwardArgs& a, int64_t p0, int64_t p1) {
  const int64_t H = a.H, W = a.W, Ho = a.Ho, Wo = a.Wo;
  T* __restrict row = rowBuffer<T>(W);
  for (int64_t p = p0; p < p1; ++p) {
    const T* __restrict dy = static_cast<const T*>(a.dy) + p * Ho * Wo;
    T* __restrict dx = static_cast<T*>(a.dx) + p * H * W;
    std::fill(dx, dx + H * W, T(0));
    for (int64_t oh = 0; oh < Ho; ++oh) {
      const AvgWindow rows = windowOf(a, oh, 0);
      if (rows.h0 >= rows.h1) continue;
      std::fill(row, row + W, T(0));
      for (int64_t ow = 0; ow < Wo; ++ow) {
        const AvgWindow win = windowOf(a, oh, ow);
        if (win.w0 >= win.w1) continue;
        const T g = dy[oh * Wo + ow] / T(win.divisor);
        for (int64_t w = win.w0; w < win.w1; ++w) row[w] += g;
      }
      for (int64_t h = rows.h0; h < rows.h1; ++h) {
        T* __restrict d = dx + h * W;
        for (int64_t w = 0; w < W; ++w) d[w] += row[w];
      }
    }
  }
}

// Planes per task: about 32K element visits each.
int64_t grainFor(int64_t perPlane) { return std::max<int64_t>(1, (int64_t(1) << 15) / std::max<int64_t>(1, perPlane)); }

}  // namespace

void avgPool2d(const AvgPool2dArgs& a) {
  const int64_t work = a.Ho * (a.kh * a.W + a.Wo * a.kw);
  NT_DISPATCH_FLOAT(a.dtype, "avg_pool2d", [&] {
    parallelFor(0, a.planes, grainFor(work), [&](int64_t p0, int64_t p1) { forwardPlanes<T>(a, p0, p1); });
  });
}

void avgPool2dBackward(const AvgPool2dBackwardArgs& a) {
  const int64_t work = a.H * a.W + a.Ho * (a.kh * a.W + a.Wo * a.kw);
  NT_DISPATCH_FLOAT(a.dtype, "avg_pool2d_backward", [&] {
    parallelFor(0, a.planes, grainFor(work), [&](int64_t p0, int64_t p1) { backwardPlanes<T>(a, p0, p1); });
  });
}

}  // namespace cpu
}  // namespace nt
