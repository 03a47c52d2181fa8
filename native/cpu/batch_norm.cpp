// Batch norm over contiguous [N, C, HW] (BatchNormForwardArgs /
// BatchNormBackwardArgs): per channel c, statistics over the N blocks of HW
// contiguous values. Threads split the channels, so each channel's sums,
// saved stats and running stats are one thread's: no partial buffers, no
// heap. Sums use double accumulators for both dtypes (as PyTorch's CPU
// kernel): a two-pass mean / variance, the second pass also summing x - mean
// to correct the mean's rounding (the "corrected two-pass" algorithm). Each
// sum keeps kL partial sums so the loops vectorize without reassociation;
// the hot loops are compiled for AVX-512, AVX2 and baseline (NT_VEC_CLONES).
// HW == 1 ([N, C]) takes a row-wise path over blocks of channels.
#include <algorithm>
#include <cmath>

#include "cpu/kernels_cpu.h"
#include "cpu/loops.h"
#include "cpu/parallel.h"
#include "cpu/vec_exp.h"

namespace nt {
namespace cpu {
namespace {

constexpr int kL = 8;

// sum of x[0, n) in double.
template <class T>
NT_ALWAYS_INLINE double sumImpl(const T* __restrict x, int64_t n) {
  double lane[kL] = {};
  int64_t j = 0;
  for (; j + kL <= n; j += kL)
    for (int k = 0; k < kL; ++k) lane[k] += double(x[j + k]);
  double s = 0;
  for (int k = 0; k < kL; ++k) s += lane[k];
  for (; j < n; ++j) s += double(x[j]);
  return s;
}

// Adds sum(x - mu) to *s1 and sum((x - mu)^2) to *s2.
template <class T>
NT_ALWAYS_INLINE void devImpl(const T* __restrict x, int64_t n, double mu, double* s1, double* s2) {
  double a[kL] = {}, b[kL] = {};
  int64_t j = 0;
  for (; j + kL <= n; j += kL)
    for (int k = 0; k < kL; ++k) {
      const double d = double(x[j + k]) - mu;
      a[k] += d;
      b[k] += d * d;
    }
  double p = 0, q = 0;
  for (int k = 0; k < kL; ++k) {
    p += a[k];
    q += b[k];
  }
  for (; j < n; ++j) {
    const double d = double(x[j]) - mu;
    p += d;
    q += d * d;
  }
  *s1 += p;
  *s2 += q;
}

// Adds sum(dy) to *sg and sum(dy * (x - mu)) to *sgx.
template <class T>
NT_ALWAYS_INLINE void gradImpl(const T* __restrict dy, const T* __restrict x, int64_t n, double mu, double* sg,
                               double* sgx) {
  double a[kL] = {}, b[kL] = {};
  int64_t j = 0;
  for (; j + kL <= n; j += kL)
    for (int k = 0; k < kL; ++k) {
      const double g = double(dy[j + k]);
      a[k] += g;
      b[k] += g * (double(x[j + k]) - mu);
    }
  double p = 0, q = 0;
  for (int k = 0; k < kL; ++k) {
    p += a[k];
    q += b[k];
  }
  for (; j < n; ++j) {
    const double g = double(dy[j]);
    p += g;
    q += g * (double(x[j]) - mu);
  }
  *sg += p;
  *sgx += q;
}

// y = x * s + t
template <class T>
NT_ALWAYS_INLINE void affineImpl(const T* __restrict x, T* __restrict y, int64_t n, T s, T t) {
  for (int64_t j = 0; j < n; ++j) y[j] = x[j] * s + t;
}

// dx = a * dy + b * x + d
template <class T>
NT_ALWAYS_INLINE void combineImpl(const T* __restrict dy, const T* __restrict x, T* __restrict dx, int64_t n, T a, T b,
                                  T d) {
  for (int64_t j = 0; j < n; ++j) dx[j] = a * dy[j] + b * x[j] + d;
}

// One ISA-cloned copy per dtype (target_clones takes no templates).
#define NT_BN_LOOPS(T)                                                                                                \
  NT_VEC_CLONES double sumOf(const T* x, int64_t n) { return sumImpl(x, n); }                                         \
  NT_VEC_CLONES void devSums(const T* x, int64_t n, double mu, double* s1, double* s2) { devImpl(x, n, mu, s1, s2); } \
  NT_VEC_CLONES void gradSums(const T* dy, const T* x, int64_t n, double mu, double* sg, double* sgx) {               \
    gradImpl(dy, x, n, mu, sg, sgx);                                                                                  \
  }                                                                                                                   \
  NT_VEC_CLONES void affine(const T* x, T* y, int64_t n, T s, T t) { affineImpl(x, y, n, s, t); }                     \
  NT_VEC_CLONES void combine(const T* dy, const T* x, T* dx, int64_t n, T a, T b, T d) {                              \
    combineImpl(dy, x, dx, n, a, b, d);                                                                               \
  }
NT_BN_LOOPS(float)
NT_BN_LOOPS(double)
#undef NT_BN_LOOPS

// The args' buffers as typed pointers (null where the args' are), shared
// by the [N, C] and [N, C, HW] paths.
template <class T>
struct ForwardPtrs {
  const T *in, *w, *b;
  T *out, *rm, *rv, *sm, *si;
  explicit ForwardPtrs(const BatchNormForwardArgs& a)
      : in(static_cast<const T*>(a.in)),
        w(static_cast<const T*>(a.weight)),
        b(static_cast<const T*>(a.bias)),
        out(static_cast<T*>(a.out)),
        rm(static_cast<T*>(a.runningMean)),
        rv(static_cast<T*>(a.runningVar)),
        sm(static_cast<T*>(a.saveMean)),
        si(static_cast<T*>(a.saveInvstd)) {}
};
template <class T>
struct BackwardPtrs {
  const T *dy, *in, *mean, *inv, *w;
  T *dx, *dw, *db;
  explicit BackwardPtrs(const BatchNormBackwardArgs& a)
      : dy(static_cast<const T*>(a.dy)),
        in(static_cast<const T*>(a.in)),
        mean(static_cast<const T*>(a.mean)),
        inv(static_cast<const T*>(a.invstd)),
        w(static_cast<const T*>(a.weight)),
        dx(static_cast<T*>(a.dx)),
        dw(static_cast<T*>(a.dweight)),
        db(static_cast<T*>(a.dbias)) {}
};

int64_t channelGrain(int64_t perChannel) { return std::max<int64_t>(1, kGrain / std::max<int64_t>(1, perChannel)); }

// HW == 1 ([N, C], BatchNorm1d on features): a channel's values are C apart,
// so blocks of kCB channels walk the rows together, with per-channel sums on
// the stack and contiguous, vectorizable row segments.
constexpr int64_t kCB = 64;

template <class T>
void forwardRows(const BatchNormForwardArgs& a) {
  const int64_t N = a.N, C = a.C;
  const ForwardPtrs<T> p(a);
  const T *in = p.in, *w = p.w, *b = p.b;
  T *out = p.out, *rm = p.rm, *rv = p.rv, *sm = p.sm, *si = p.si;
  const double eps = a.eps, m = a.momentum, n = double(N);
  const int64_t blocks = (C + kCB - 1) / kCB;
  parallelFor(0, blocks, std::max<int64_t>(1, kGrain / std::max<int64_t>(1, N * kCB)), [&](int64_t b0, int64_t b1) {
    for (int64_t blk = b0; blk < b1; ++blk) {
      const int64_t c0 = blk * kCB, nc = std::min(kCB, C - c0);
      double mu[kCB], s1[kCB] = {}, s2[kCB] = {};
      T scale[kCB], shift[kCB];
      if (a.training) {
        for (int64_t k = 0; k < nc; ++k) mu[k] = 0;
        for (int64_t i = 0; i < N; ++i) {
          const T* x = in + i * C + c0;
          for (int64_t k = 0; k < nc; ++k) mu[k] += double(x[k]);
        }
        for (int64_t k = 0; k < nc; ++k) mu[k] /= n;
        for (int64_t i = 0; i < N; ++i) {
          const T* x = in + i * C + c0;
          for (int64_t k = 0; k < nc; ++k) {
            const double d = double(x[k]) - mu[k];
            s1[k] += d;
            s2[k] += d * d;
          }
        }
      }
      for (int64_t k = 0; k < nc; ++k) {
        const int64_t c = c0 + k;
        double mean, invstd;
        if (a.training) {
          const double var = std::max(0.0, (s2[k] - s1[k] * s1[k] / n) / n);
          mean = mu[k] + s1[k] / n;
          invstd = 1.0 / std::sqrt(var + eps);
          if (rm) rm[c] = T((1 - m) * double(rm[c]) + m * mean);
          if (rv) rv[c] = T((1 - m) * double(rv[c]) + m * var * n / (n - 1));
        } else {
          mean = double(rm[c]);
          invstd = 1.0 / std::sqrt(double(rv[c]) + eps);
        }
        if (sm) sm[c] = T(mean);
        if (si) si[c] = T(invstd);
        const double sc = w ? double(w[c]) * invstd : invstd;
        scale[k] = T(sc);
        shift[k] = T((b ? double(b[c]) : 0.0) - mean * sc);
      }
      for (int64_t i = 0; i < N; ++i) {
        const T* x = in + i * C + c0;
        T* y = out + i * C + c0;
        for (int64_t k = 0; k < nc; ++k) y[k] = x[k] * scale[k] + shift[k];
      }
    }
  });
}

template <class T>
void backwardRows(const BatchNormBackwardArgs& a) {
  const int64_t N = a.N, C = a.C;
  const BackwardPtrs<T> p(a);
  const T *dy = p.dy, *in = p.in, *mean = p.mean, *inv = p.inv, *w = p.w;
  T *dx = p.dx, *dw = p.dw, *db = p.db;
  const double n = double(N);
  const int64_t blocks = (C + kCB - 1) / kCB;
  parallelFor(0, blocks, std::max<int64_t>(1, kGrain / std::max<int64_t>(1, 2 * N * kCB)), [&](int64_t b0, int64_t b1) {
    for (int64_t blk = b0; blk < b1; ++blk) {
      const int64_t c0 = blk * kCB, nc = std::min(kCB, C - c0);
      double mu[kCB], sg[kCB] = {}, sgx[kCB] = {};
      T ka[kCB], kb[kCB], kd[kCB];
      for (int64_t k = 0; k < nc; ++k) mu[k] = double(mean[c0 + k]);
      if (dw || db || (dx && a.training))
        for (int64_t i = 0; i < N; ++i) {
          const T* g = dy + i * C + c0;
          const T* x = in + i * C + c0;
          for (int64_t k = 0; k < nc; ++k) {
            sg[k] += double(g[k]);
            sgx[k] += double(g[k]) * (double(x[k]) - mu[k]);
          }
        }
      for (int64_t k = 0; k < nc; ++k) {
        const int64_t c = c0 + k;
        const double is = double(inv[c]);
        if (dw) dw[c] = T(sgx[k] * is);
        if (db) db[c] = T(sg[k]);
        const double k0 = w ? double(w[c]) * is : is;
        const double bx = a.training ? -k0 * is * is * sgx[k] / n : 0.0;
        ka[k] = T(k0);
        kb[k] = T(bx);
        kd[k] = T(a.training ? -k0 * sg[k] / n - bx * mu[k] : 0.0);
      }
      if (!dx) continue;
      for (int64_t i = 0; i < N; ++i) {
        const T* g = dy + i * C + c0;
        const T* x = in + i * C + c0;
        T* d = dx + i * C + c0;
        if (a.training)
          for (int64_t k = 0; k < nc; ++k) d[k] = ka[k] * g[k] + kb[k] * x[k] + kd[k];
        else
          for (int64_t k = 0; k < nc; ++k) d[k] = ka[k] * g[k];
      }
    }
  });
}

template <class T>
void forward(const BatchNormForwardArgs& a) {
  const int64_t N = a.N, C = a.C, HW = a.HW, count = N * HW;
  const ForwardPtrs<T> p(a);
  const T *in = p.in, *w = p.w, *b = p.b;
  T *out = p.out, *rm = p.rm, *rv = p.rv, *sm = p.sm, *si = p.si;
  const double eps = a.eps, m = a.momentum;
  const bool training = a.training;
  parallelFor(0, C, channelGrain(count), [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      double mu, invstd;
      if (training) {
        double s = 0;
        for (int64_t i = 0; i < N; ++i) s += sumOf(in + (i * C + c) * HW, HW);
        mu = s / double(count);
        double s1 = 0, s2 = 0;
        for (int64_t i = 0; i < N; ++i) devSums(in + (i * C + c) * HW, HW, mu, &s1, &s2);
        const double var = std::max(0.0, (s2 - s1 * s1 / double(count)) / double(count));
        mu += s1 / double(count);
        invstd = 1.0 / std::sqrt(var + eps);
        if (rm) rm[c] = T((1 - m) * double(rm[c]) + m * mu);
        // PyTorch's running variance is the unbiased one (validate: count > 1).
        if (rv) rv[c] = T((1 - m) * double(rv[c]) + m * var * double(count) / double(count - 1));
      } else {
        mu = double(rm[c]);
        invstd = 1.0 / std::sqrt(double(rv[c]) + eps);
      }
      if (sm) sm[c] = T(mu);
      if (si) si[c] = T(invstd);
      const double scale = w ? double(w[c]) * invstd : invstd;
      const double shift = (b ? double(b[c]) : 0.0) - mu * scale;
      for (int64_t i = 0; i < N; ++i) {
        const int64_t o = (i * C + c) * HW;
        affine(in + o, out + o, HW, T(scale), T(shift));
      }
    }
  });
}

template <class T>
void backward(const BatchNormBackwardArgs& a) {
  const int64_t N = a.N, C = a.C, HW = a.HW, count = N * HW;
  const BackwardPtrs<T> p(a);
  const T *dy = p.dy, *in = p.in, *mean = p.mean, *inv = p.inv, *w = p.w;
  T *dx = p.dx, *dw = p.dw, *db = p.db;
  const bool training = a.training;
  parallelFor(0, C, channelGrain(2 * count), [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      const double mu = double(mean[c]), is = double(inv[c]);
      double sg = 0, sgx = 0;
      if (dw || db || (dx && training))
        for (int64_t i = 0; i < N; ++i) {
          const int64_t o = (i * C + c) * HW;
          gradSums(dy + o, in + o, HW, mu, &sg, &sgx);
        }
      if (dw) dw[c] = T(sgx * is);
      if (db) db[c] = T(sg);
      if (!dx) continue;
      const double k = w ? double(w[c]) * is : is;
      if (!training) {
        for (int64_t i = 0; i < N; ++i) {
          const int64_t o = (i * C + c) * HW;
          affine(dy + o, dx + o, HW, T(k), T(0));
        }
        continue;
      }
      // dx = k * (dy - sg / n - (x - mu) * is^2 * sgx / n) = k dy + bx x + d.
      const double bx = -k * is * is * sgx / double(count);
      const double d = -k * sg / double(count) - bx * mu;
      for (int64_t i = 0; i < N; ++i) {
        const int64_t o = (i * C + c) * HW;
        combine(dy + o, in + o, dx + o, HW, T(k), T(bx), T(d));
      }
    }
  });
}

}  // namespace

void batchNormForward(const BatchNormForwardArgs& a) {
  NT_DISPATCH_FLOAT(a.dtype, "batch_norm", [&] {
    if (a.HW == 1) forwardRows<T>(a);
    else forward<T>(a);
  });
}

void batchNormBackward(const BatchNormBackwardArgs& a) {
  NT_DISPATCH_FLOAT(a.dtype, "batch_norm_backward", [&] {
    if (a.HW == 1) backwardRows<T>(a);
    else backward<T>(a);
  });
}

}  // namespace cpu
}  // namespace nt
