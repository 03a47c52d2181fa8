// Multi-tensor Adagrad, Adamax, NAdam and RAdam: one call updates every
// tensor of a bucket, split across threads as one flat index space
// (multi_tensor.h). The per-element formulas are common/optim_ops.h (shared
// with CUDA); flags are template parameters and spans __restrict so each
// loop is branch-free and vectorizes.
#include <vector>

#include "common/optim_ops.h"
#include "cpu/kernels_cpu.h"
#include "cpu/loops.h"
#include "cpu/multi_tensor.h"

namespace nt {
namespace cpu {
namespace {

// Runs span(k, i0, n) over the flat range of all tensors, threaded.
template <class Span>
void forEachSpan(const std::vector<int64_t>& numels, Span&& span) {
  const std::vector<int64_t> starts = prefix(numels);
  parallelFor(0, starts.back(), kGrain / 4, [&](int64_t lo, int64_t hi) {
    forFlatRange(starts, lo, hi, [&](size_t k, int64_t i0, int64_t i1) { span(k, i0, i1 - i0); });
  });
}

template <class T>
T* at(const std::vector<void*>& list, size_t k, int64_t i0) {
  return static_cast<T*>(list[k]) + i0;
}

template <class T, bool kWd, bool kMax>
void adagradSpan(T* __restrict p, const T* __restrict g, T* __restrict sum, int64_t n,
                 const scalar::AdagradCoeffs<T>& c) {
  for (int64_t i = 0; i < n; ++i) {
    T pi = p[i], si = sum[i];
    scalar::adagradUpdate<T>(pi, g[i], si, c, kWd, kMax);
    p[i] = pi;
    sum[i] = si;
  }
}

template <class T, bool kWd, bool kMax>
void adamaxSpan(T* __restrict p, const T* __restrict g, T* __restrict m, T* __restrict u, int64_t n,
                const scalar::AdamaxCoeffs<T>& c) {
  for (int64_t i = 0; i < n; ++i) {
    T pi = p[i], mi = m[i], ui = u[i];
    scalar::adamaxUpdate<T>(pi, g[i], mi, ui, c, kWd, kMax);
    p[i] = pi;
    m[i] = mi;
    u[i] = ui;
  }
}

template <class T, bool kWd>
void nadamSpan(T* __restrict p, const T* __restrict g, T* __restrict m, T* __restrict v, int64_t n,
               const scalar::NadamCoeffs<T>& c) {
  for (int64_t i = 0; i < n; ++i) {
    T pi = p[i], mi = m[i], vi = v[i];
    scalar::nadamUpdate<T>(pi, g[i], mi, vi, c, kWd);
    p[i] = pi;
    m[i] = mi;
    v[i] = vi;
  }
}

template <class T, bool kWd, bool kRect>
void radamSpan(T* __restrict p, const T* __restrict g, T* __restrict m, T* __restrict v, int64_t n,
               const scalar::RadamCoeffs<T>& c) {
  for (int64_t i = 0; i < n; ++i) {
    T pi = p[i], mi = m[i], vi = v[i];
    scalar::radamUpdate<T>(pi, g[i], mi, vi, c, kWd, kRect);
    p[i] = pi;
    m[i] = mi;
    v[i] = vi;
  }
}

}  // namespace

void adagrad(const AdagradArgs& a) {
  const size_t n = a.numels.size();
  checkLists(n, a.params.size(), "adagrad", "params");
  checkLists(n, a.grads.size(), "adagrad", "grads");
  checkLists(n, a.sums.size(), "adagrad", "sum buffers");
  NT_DISPATCH_FLOAT(a.dtype, "adagrad", [&] {
    const scalar::AdagradCoeffs<T> c = scalar::adagradCoeffs<T>(a.clr, a.eps, a.weightDecay);
    withFlag(a.weightDecay != 0.0, [&](auto wd) {
      withFlag(a.maximize, [&](auto mx) {
        forEachSpan(a.numels, [&](size_t k, int64_t i0, int64_t len) {
          adagradSpan<T, decltype(wd)::value, decltype(mx)::value>(at<T>(a.params, k, i0), at<const T>(a.grads, k, i0),
                                                                   at<T>(a.sums, k, i0), len, c);
        });
      });
    });
  });
}

void adamax(const AdamaxArgs& a) {
  const size_t n = a.numels.size();
  checkLists(n, a.params.size(), "adamax", "params");
  checkLists(n, a.grads.size(), "adamax", "grads");
  checkLists(n, a.expAvg.size(), "adamax", "exp_avg buffers");
  checkLists(n, a.expInf.size(), "adamax", "exp_inf buffers");
  NT_DISPATCH_FLOAT(a.dtype, "adamax", [&] {
    const scalar::AdamaxCoeffs<T> c = scalar::adamaxCoeffs<T>(a.beta1, a.beta2, a.eps, a.weightDecay, a.clr);
    withFlag(a.weightDecay != 0.0, [&](auto wd) {
      withFlag(a.maximize, [&](auto mx) {
        forEachSpan(a.numels, [&](size_t k, int64_t i0, int64_t len) {
          adamaxSpan<T, decltype(wd)::value, decltype(mx)::value>(at<T>(a.params, k, i0), at<const T>(a.grads, k, i0),
                                                                  at<T>(a.expAvg, k, i0), at<T>(a.expInf, k, i0), len,
                                                                  c);
        });
      });
    });
  });
}

void nadam(const NadamArgs& a) {
  const size_t n = a.numels.size();
  checkLists(n, a.params.size(), "nadam", "params");
  checkLists(n, a.grads.size(), "nadam", "grads");
  checkLists(n, a.expAvg.size(), "nadam", "exp_avg buffers");
  checkLists(n, a.expAvgSq.size(), "nadam", "exp_avg_sq buffers");
  NT_DISPATCH_FLOAT(a.dtype, "nadam", [&] {
    const scalar::NadamCoeffs<T> c =
        scalar::nadamCoeffs<T>(a.beta1, a.beta2, a.eps, a.weightDecay, a.biasCorrection2, a.gradCoeff, a.avgCoeff);
    withFlag(a.weightDecay != 0.0, [&](auto wd) {
      forEachSpan(a.numels, [&](size_t k, int64_t i0, int64_t len) {
        nadamSpan<T, decltype(wd)::value>(at<T>(a.params, k, i0), at<const T>(a.grads, k, i0), at<T>(a.expAvg, k, i0),
                                          at<T>(a.expAvgSq, k, i0), len, c);
      });
    });
  });
}

void radam(const RadamArgs& a) {
  const size_t n = a.numels.size();
  checkLists(n, a.params.size(), "radam", "params");
  checkLists(n, a.grads.size(), "radam", "grads");
  checkLists(n, a.expAvg.size(), "radam", "exp_avg buffers");
  checkLists(n, a.expAvgSq.size(), "radam", "exp_avg_sq buffers");
  NT_DISPATCH_FLOAT(a.dtype, "radam", [&] {
    const scalar::RadamCoeffs<T> c = scalar::radamCoeffs<T>(a.beta1, a.beta2, a.eps, a.weightDecay, a.stepSize);
    withFlag(a.weightDecay != 0.0, [&](auto wd) {
      withFlag(a.rectified, [&](auto rect) {
        forEachSpan(a.numels, [&](size_t k, int64_t i0, int64_t len) {
          radamSpan<T, decltype(wd)::value, decltype(rect)::value>(at<T>(a.params, k, i0), at<const T>(a.grads, k, i0),
                                                                   at<T>(a.expAvg, k, i0), at<T>(a.expAvgSq, k, i0),
                                                                   len, c);
        });
      });
    });
  });
}

}  // namespace cpu
}  // namespace nt
