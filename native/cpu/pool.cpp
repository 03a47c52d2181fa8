// Max pooling over contiguous planes [planes, H, W] (MaxPool2dArgs): each
// output is the maximum over its window, taps outside the input skipped (as
// -inf padding), with the first position of that maximum, flat in H * W. A
// NaN wins over any number, and the last NaN stays (PyTorch's rule). Threads
// split the planes. Windows wholly inside the input (all but a border when
// there is padding or ceilMode) run a loop without bounds checks, unrolled at
// compile time for the common 2x2 / 3x3 shapes with stride 1 or 2; the
// border windows clip their tap ranges once per window. `indices` may be
// null (no autograd, no returnIndices): then only the maxima are written.
// maxPool2dBackward adds dy at the indices, plane by plane (threads split
// the planes, so no two write one plane), in output order as scatter_add.
#include <algorithm>
#include <cstdint>
#include <limits>

#include "cpu/kernels_cpu.h"
#include "cpu/parallel.h"
#include "cpu/vec_exp.h"

namespace nt {
namespace cpu {
namespace {

// The PyTorch update rule: a larger value, or a NaN (the last NaN stays).
template <class T>
inline void take(T v, int64_t pos, T& best, int64_t& at) {
  const bool t = v > best || v != v;
  best = t ? v : best;
  at = t ? pos : at;
}

// Geometry copied to locals: `idx` is int64_t*, so its stores could alias
// the args' int64_t fields, which the compiler would then reload per window.
struct Geo {
  int64_t H, W, Ho, Wo, kh, kw, sh, sw, ph, pw, dh, dw;
};

// A window that may cross the border: clipped tap ranges (dilation allowed).
template <class T>
inline void clipped(const Geo& g, const T* __restrict in, int64_t oh, int64_t ow, T& best, int64_t& at) {
  const int64_t h0 = oh * g.sh - g.ph, w0 = ow * g.sw - g.pw;
  // First tap index inside: ceil(-h0 / dh) when h0 < 0; last: while h < H.
  const int64_t i0 = h0 < 0 ? (-h0 + g.dh - 1) / g.dh : 0;
  const int64_t j0 = w0 < 0 ? (-w0 + g.dw - 1) / g.dw : 0;
  const int64_t i1 = std::min(g.kh, h0 < g.H ? (g.H - h0 + g.dh - 1) / g.dh : 0);
  const int64_t j1 = std::min(g.kw, w0 < g.W ? (g.W - w0 + g.dw - 1) / g.dw : 0);
  best = -std::numeric_limits<T>::infinity();
  at = -1;
  for (int64_t i = i0; i < i1; ++i) {
    const int64_t h = h0 + i * g.dh;
    for (int64_t j = j0; j < j1; ++j) {
      const int64_t p = h * g.W + w0 + j * g.dw;
      if (at < 0) {
        best = in[p];
        at = p;
      } else {
        take(in[p], p, best, at);
      }
    }
  }
  // A window wholly in the padding (only with hostile arguments) gives
  // -inf at position 0, which keeps the backward's scatter in range.
  if (at < 0) at = 0;
}

// Interior rows [ohLo, ohHi) x columns [owLo, owHi): every tap is inside.
// KH..SW > 0 fix the window at compile time: the maximum is a branch-free
// fold, and its position a chain of selects (the first tap equal to it, or
// the last NaN), since a compare-and-branch per tap mispredicts about half
// the time on real data. 0 takes the window from g (dilation 1).
template <class T, int KH, int KW, int SH, int SW, bool Idx>
NT_ALWAYS_INLINE void interior(const Geo& g, const T* __restrict in, T* __restrict out, int64_t* __restrict idx,
                               int64_t ohLo, int64_t ohHi, int64_t owLo, int64_t owHi) {
  const int64_t W = g.W, Wo = g.Wo, ph = g.ph, pw = g.pw;
  const int64_t kh = KH ? KH : g.kh, kw = KW ? KW : g.kw, sh = SH ? SH : g.sh, sw = SW ? SW : g.sw;
  for (int64_t oh = ohLo; oh < ohHi; ++oh) {
    const int64_t rowStart = (oh * sh - ph) * W - pw;
    T* __restrict o = out + oh * Wo;
    int64_t* __restrict x = Idx ? idx + oh * Wo : nullptr;
    for (int64_t ow = owLo; ow < owHi; ++ow) {
      const int64_t base = rowStart + ow * sw;
      const T* __restrict r = in + base;
      if constexpr (KH > 0) {
        T v[KH * KW];
        for (int i = 0; i < KH; ++i)
          for (int j = 0; j < KW; ++j) v[i * KW + j] = r[i * W + j];
        T m = v[0];
        for (int k = 1; k < KH * KW; ++k) m = (v[k] > m || v[k] != v[k]) ? v[k] : m;
        o[ow] = m;
        if (Idx) {
          // The last NaN, then (when m is a number) the first tap equal to m.
          int64_t at = 0;
          for (int k = 0; k < KH * KW; ++k) at = v[k] != v[k] ? (k / KW) * W + (k % KW) : at;
          for (int k = KH * KW - 1; k >= 0; --k) at = v[k] == m ? (k / KW) * W + (k % KW) : at;
          x[ow] = base + at;
        }
      } else {
        T best = r[0];
        int64_t at = 0;
        for (int64_t i = 0; i < kh; ++i)
          for (int64_t j = (i == 0 ? 1 : 0); j < kw; ++j) take(r[i * W + j], i * W + j, best, at);
        o[ow] = best;
        if (Idx) x[ow] = base + at;
      }
    }
  }
}

template <class T, bool Idx>
using InteriorFn = void (*)(const Geo&, const T*, T*, int64_t*, int64_t, int64_t, int64_t, int64_t);

// The fixed windows with indices, each compiled for AVX-512, AVX2 and
// baseline (NT_VEC_CLONES; target_clones takes no templates, hence the
// wrappers). The values-only ones stay baseline: measured faster than their
// AVX-512 clones here (0.5 vs 3 ms on [64,64,24,24], 1 thread).
#define NT_POOL_FIXED(T, KH, KW, SH, SW, IDX)                                                                         \
  NT_VEC_CLONES void fixed_##T##_##KH##KW##SH##SW##_##IDX(const Geo& g, const T* in, T* out, int64_t* idx, int64_t a, \
                                                          int64_t b, int64_t c, int64_t d) {                          \
    interior<T, KH, KW, SH, SW, IDX>(g, in, out, idx, a, b, c, d);                                                    \
  }
#define NT_POOL_FIXED_ALL(T)         \
  NT_POOL_FIXED(T, 2, 2, 2, 2, true) \
  NT_POOL_FIXED(T, 3, 3, 2, 2, true) \
  NT_POOL_FIXED(T, 2, 2, 1, 1, true) \
  NT_POOL_FIXED(T, 3, 3, 1, 1, true)
NT_POOL_FIXED_ALL(float)
NT_POOL_FIXED_ALL(double)
#undef NT_POOL_FIXED_ALL
#undef NT_POOL_FIXED

template <class T, bool Idx>
InteriorFn<T, Idx> pickFixed(int64_t k, int64_t s);

template <>
InteriorFn<float, true> pickFixed<float, true>(int64_t k, int64_t s) {
  return k == 2 ? (s == 2 ? fixed_float_2222_true : fixed_float_2211_true)
                : (s == 2 ? fixed_float_3322_true : fixed_float_3311_true);
}
template <>
InteriorFn<float, false> pickFixed<float, false>(int64_t k, int64_t s) {
  return k == 2 ? (s == 2 ? interior<float, 2, 2, 2, 2, false> : interior<float, 2, 2, 1, 1, false>)
                : (s == 2 ? interior<float, 3, 3, 2, 2, false> : interior<float, 3, 3, 1, 1, false>);
}
template <>
InteriorFn<double, true> pickFixed<double, true>(int64_t k, int64_t s) {
  return k == 2 ? (s == 2 ? fixed_double_2222_true : fixed_double_2211_true)
                : (s == 2 ? fixed_double_3322_true : fixed_double_3311_true);
}
template <>
InteriorFn<double, false> pickFixed<double, false>(int64_t k, int64_t s) {
  return k == 2 ? (s == 2 ? interior<double, 2, 2, 2, 2, false> : interior<double, 2, 2, 1, 1, false>)
                : (s == 2 ? interior<double, 3, 3, 2, 2, false> : interior<double, 3, 3, 1, 1, false>);
}

template <class T, bool Idx>
InteriorFn<T, Idx> pickInterior(const Geo& g) {
  if (g.dh != 1 || g.dw != 1) return nullptr;
  const bool square = g.kh == g.kw && g.sh == g.sw;
  if (square && (g.kh == 2 || g.kh == 3) && (g.sh == 1 || g.sh == 2)) return pickFixed<T, Idx>(g.kh, g.sh);
  return interior<T, 0, 0, 0, 0, Idx>;
}

// The interior range [lo, hi) of outputs along one axis: the window
// [o * s - p, o * s - p + (k - 1) * d] lies inside [0, n).
void interiorRange(int64_t n, int64_t no, int64_t k, int64_t s, int64_t p, int64_t d, int64_t& lo, int64_t& hi) {
  lo = std::min<int64_t>(no, (p + s - 1) / s);
  const int64_t last = n - 1 - (k - 1) * d + p;  // largest o * s allowed
  hi = last < 0 ? 0 : std::min<int64_t>(no, last / s + 1);
  if (hi < lo) hi = lo;
}

template <class T, bool Idx>
void poolPlanes(const Geo& g, const MaxPool2dArgs& a, int64_t p0, int64_t p1) {
  int64_t hLo, hHi, wLo, wHi;
  interiorRange(g.H, g.Ho, g.kh, g.sh, g.ph, g.dh, hLo, hHi);
  interiorRange(g.W, g.Wo, g.kw, g.sw, g.pw, g.dw, wLo, wHi);
  const InteriorFn<T, Idx> fast = pickInterior<T, Idx>(g);
  if (!fast) hLo = hHi = wLo = wHi = 0;  // dilation: every window clipped
  const int64_t planeIn = g.H * g.W, planeOut = g.Ho * g.Wo;
  for (int64_t p = p0; p < p1; ++p) {
    const T* __restrict in = static_cast<const T*>(a.in) + p * planeIn;
    T* __restrict out = static_cast<T*>(a.out) + p * planeOut;
    int64_t* __restrict idx = Idx ? static_cast<int64_t*>(a.indices) + p * planeOut : nullptr;
    const auto border = [&](int64_t oh, int64_t ow) {
      T best;
      int64_t at;
      clipped(g, in, oh, ow, best, at);
      out[oh * g.Wo + ow] = best;
      if (Idx) idx[oh * g.Wo + ow] = at;
    };
    for (int64_t oh = 0; oh < g.Ho; ++oh) {
      if (oh < hLo || oh >= hHi) {
        for (int64_t ow = 0; ow < g.Wo; ++ow) border(oh, ow);
        continue;
      }
      for (int64_t ow = 0; ow < wLo; ++ow) border(oh, ow);
      if (wLo < wHi) fast(g, in, out, idx, oh, oh + 1, wLo, wHi);
      for (int64_t ow = wHi; ow < g.Wo; ++ow) border(oh, ow);
    }
  }
}

}  // namespace

void maxPool2d(const MaxPool2dArgs& a) {
  const Geo g{a.H, a.W, a.Ho, a.Wo, a.kh, a.kw, a.sh, a.sw, a.ph, a.pw, a.dh, a.dw};
  const int64_t work = a.Ho * a.Wo * a.kh * a.kw;
  const int64_t grain = work > 0 ? std::max<int64_t>(1, (int64_t(1) << 15) / work) : 1;
  NT_DISPATCH_FLOAT(a.dtype, "max_pool2d", [&] {
    parallelFor(0, a.planes, grain, [&](int64_t p0, int64_t p1) {
      if (a.indices) poolPlanes<T, true>(g, a, p0, p1);
      else poolPlanes<T, false>(g, a, p0, p1);
    });
  });
}

void maxPool2dBackward(const MaxPool2dBackwardArgs& a) {
  const int64_t planeIn = a.H * a.W, planeOut = a.Ho * a.Wo;
  const int64_t grain = std::max<int64_t>(1, (int64_t(1) << 15) / std::max<int64_t>(1, planeIn + planeOut));
  NT_DISPATCH_FLOAT(a.dtype, "max_pool2d_backward", [&] {
    parallelFor(0, a.planes, grain, [&](int64_t p0, int64_t p1) {
      for (int64_t p = p0; p < p1; ++p) {
        T* __restrict dx = static_cast<T*>(a.dx) + p * planeIn;
        const T* __restrict dy = static_cast<const T*>(a.dy) + p * planeOut;
        const int64_t* __restrict idx = static_cast<const int64_t*>(a.indices) + p * planeOut;
        std::fill(dx, dx + planeIn, T(0));
        for (int64_t e = 0; e < planeOut; ++e) {
          const int64_t at = idx[e];
          // maxPool2d's indices are in range; any other is not followed.
          if (at >= 0 && at < planeIn) dx[at] += dy[e];
        }
      }
    });
  });
}

}  // namespace cpu
}  // namespace nt
