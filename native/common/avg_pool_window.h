// PyTorch's average-pooling window for output (oh, ow), shared by the CPU
// kernels (cpu/avg_pool.cpp) and their CUDA twins (cuda/avg_pool.cu): the
// window is clipped to the padded input (the countIncludePad divisor, which
// with ceilMode may be smaller than kh * kw), then to the input (the rows and
// columns summed, and the other divisor). divisor != 0 overrides both.
#pragma once

#include <cstdint>

#include "common/hd.h"

namespace nt {

struct AvgWindow {
  int64_t h0, h1, w0, w1;  // the input rows [h0, h1) and columns [w0, w1) summed
  int64_t divisor;         // 0 only for a window wholly in the padding (then h0 >= h1 or w0 >= w1)
};

NT_HD AvgWindow avgWindow(int64_t oh, int64_t ow, int64_t H, int64_t W, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
                          int64_t ph, int64_t pw, bool countIncludePad, int64_t divisor) {
  int64_t h0 = oh * sh - ph, w0 = ow * sw - pw;
  int64_t h1 = h0 + kh < H + ph ? h0 + kh : H + ph;
  int64_t w1 = w0 + kw < W + pw ? w0 + kw : W + pw;
  const int64_t padded = (h1 - h0) * (w1 - w0);
  h0 = h0 > 0 ? h0 : 0;
  w0 = w0 > 0 ? w0 : 0;
  h1 = h1 < H ? h1 : H;
  w1 = w1 < W ? w1 : W;
  const int64_t inside = h0 < h1 && w0 < w1 ? (h1 - h0) * (w1 - w0) : 0;
  return {h0, h1, w0, w1, divisor != 0 ? divisor : countIncludePad ? padded : inside};
}

}  // namespace nt
