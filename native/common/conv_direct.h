// conv2d as direct loops, one output element at a time, for the three conv2d
// kernels: the CUDA kernels (cuda/conv.cu) and the CPU's path without oneDNN
// (cpu/conv.cpp) both call these, so the two devices share one formula.
// Contiguous NCHW input/output, weight [Co, Cg, kh, kw]; each sum runs in
// the accumulator type Acc.
#pragma once
#include <cstdint>

#include "hd.h"

namespace nt {
namespace conv {

// out[n, co, oh, ow] = sum over the group's channels and the kernel taps.
template <class Acc, class T, class A>
NT_HD Acc forwardAt(const A& a, const T* x, const T* w, int64_t e) {
  const int64_t ow = e % a.Wo, t1 = e / a.Wo;
  const int64_t oh = t1 % a.Ho, t2 = t1 / a.Ho;
  const int64_t co = t2 % a.Co, n = t2 / a.Co;
  const int64_t c0 = (co / (a.Co / a.G)) * a.Cg;
  Acc s = 0;
  for (int64_t ci = 0; ci < a.Cg; ++ci) {
    const T* plane = x + ((n * a.C) + c0 + ci) * a.H * a.W;
    const T* wk = w + (co * a.Cg + ci) * a.kh * a.kw;
    for (int64_t i = 0; i < a.kh; ++i) {
      const int64_t h = oh * a.sh - a.pt + i * a.dh;
      if (h < 0 || h >= a.H) continue;
      for (int64_t j = 0; j < a.kw; ++j) {
        const int64_t v = ow * a.sw - a.pl + j * a.dw;
        if (v < 0 || v >= a.W) continue;
        s += Acc(plane[h * a.W + v]) * Acc(wk[i * a.kw + j]);
      }
    }
  }
  return s;
}

// dx[n, c, h, v] = sum over the outputs whose window covers (h, v).
template <class Acc, class T, class A>
NT_HD Acc backwardDataAt(const A& a, const T* dy, const T* w, int64_t e) {
  const int64_t v = e % a.W, t1 = e / a.W;
  const int64_t h = t1 % a.H, t2 = t1 / a.H;
  const int64_t c = t2 % a.C, n = t2 / a.C;
  const int64_t g = c / a.Cg, ci = c % a.Cg, Cog = a.Co / a.G;
  Acc s = 0;
  for (int64_t i = 0; i < a.kh; ++i) {
    const int64_t th = h + a.pt - i * a.dh;
    if (th < 0 || th % a.sh != 0 || th / a.sh >= a.Ho) continue;
    const int64_t oh = th / a.sh;
    for (int64_t j = 0; j < a.kw; ++j) {
      const int64_t tw = v + a.pl - j * a.dw;
      if (tw < 0 || tw % a.sw != 0 || tw / a.sw >= a.Wo) continue;
      const int64_t ow = tw / a.sw;
      for (int64_t k = 0; k < Cog; ++k) {
        const int64_t co = g * Cog + k;
        s += Acc(dy[((n * a.Co + co) * a.Ho + oh) * a.Wo + ow]) * Acc(w[((co * a.Cg + ci) * a.kh + i) * a.kw + j]);
      }
    }
  }
  return s;
}

// dw[co, ci, i, j] = sum over the batch and the output positions.
template <class Acc, class T, class A>
NT_HD Acc backwardWeightAt(const A& a, const T* x, const T* dy, int64_t e) {
  const int64_t j = e % a.kw, t1 = e / a.kw;
  const int64_t i = t1 % a.kh, t2 = t1 / a.kh;
  const int64_t ci = t2 % a.Cg, co = t2 / a.Cg;
  const int64_t c = (co / (a.Co / a.G)) * a.Cg + ci;
  Acc s = 0;
  for (int64_t n = 0; n < a.N; ++n) {
    const T* plane = x + (n * a.C + c) * a.H * a.W;
    const T* grad = dy + (n * a.Co + co) * a.Ho * a.Wo;
    for (int64_t oh = 0; oh < a.Ho; ++oh) {
      const int64_t h = oh * a.sh - a.pt + i * a.dh;
      if (h < 0 || h >= a.H) continue;
      for (int64_t ow = 0; ow < a.Wo; ++ow) {
        const int64_t v = ow * a.sw - a.pl + j * a.dw;
        if (v < 0 || v >= a.W) continue;
        s += Acc(plane[h * a.W + v]) * Acc(grad[oh * a.Wo + ow]);
      }
    }
  }
  return s;
}

}  // namespace conv
}  // namespace nt
