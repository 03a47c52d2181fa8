// Multi-tensor Adam/AdamW and SGD: one call updates every tensor of a
// parameter group, split across threads as one flat index space
// (multi_tensor.h). The per-element formulas are nt::scalar::adamUpdate /
// sgdUpdate (shared with CUDA).
#include <vector>

#include "common/scalar_ops.h"
#include "cpu/kernels_cpu.h"
#include "cpu/loops.h"
#include "cpu/multi_tensor.h"

namespace nt {
namespace cpu {
namespace {

// The flags are template parameters so the per-element loop has no
// branches and the compiler can vectorize it (sqrt vectorizes only when
// built with -fno-math-errno).
template <class T, bool kAms, bool kDecoupled, bool kMaximize, bool kWd>
void adamSpan(T* __restrict p, const T* __restrict g, T* __restrict m, T* __restrict v, T* __restrict vmax, int64_t n,
              const scalar::AdamCoeffs<T>& c) {
  for (int64_t i = 0; i < n; ++i) {
    T pi = p[i], mi = m[i], vi = v[i];
    T vm = kAms ? vmax[i] : T(0);
    scalar::adamUpdate<T>(pi, g[i], mi, vi, kAms ? &vm : nullptr, c, kWd, kDecoupled, kMaximize);
    p[i] = pi;
    m[i] = mi;
    v[i] = vi;
    if (kAms) vmax[i] = vm;
  }
}

template <class T, bool kAms, bool kDecoupled, bool kMaximize, bool kWd>
void adamTyped(const AdamArgs& a) {
  const std::vector<int64_t> starts = prefix(a.numels);
  const scalar::AdamCoeffs<T> c =
      scalar::adamCoeffs<T>(a.lr, a.beta1, a.beta2, a.eps, a.weightDecay, a.biasCorrection1, a.biasCorrection2);
  parallelFor(0, starts.back(), kGrain / 4, [&](int64_t lo, int64_t hi) {
    forFlatRange(starts, lo, hi, [&](size_t k, int64_t i0, int64_t i1) {
      T* vmax = kAms ? static_cast<T*>(a.maxExpAvgSq[k]) + i0 : nullptr;
      adamSpan<T, kAms, kDecoupled, kMaximize, kWd>(
          static_cast<T*>(a.params[k]) + i0, static_cast<const T*>(a.grads[k]) + i0, static_cast<T*>(a.expAvg[k]) + i0,
          static_cast<T*>(a.expAvgSq[k]) + i0, vmax, i1 - i0, c);
    });
  });
}

// As adamSpan: flags as template parameters and __restrict spans, so the
// common case (no momentum, no weight decay) is one vectorized p -= lr*g
// loop; a per-element form with runtime flags does not vectorize.
template <class T, bool kMomentum, bool kNesterov, bool kFirst, bool kMaximize, bool kWd>
void sgdSpan(T* __restrict p, const T* __restrict g, T* __restrict buf, int64_t n, T lr, T mom, T damp, T wd) {
  for (int64_t i = 0; i < n; ++i) {
    T pi = p[i];
    T bi = kMomentum ? buf[i] : T(0);
    scalar::sgdUpdate<T>(pi, g[i], kMomentum ? &bi : nullptr, lr, mom, damp, kWd ? wd : T(0), kNesterov, kFirst,
                         kMaximize);
    p[i] = pi;
    if (kMomentum) buf[i] = bi;
  }
}

template <class T, bool kMomentum, bool kNesterov, bool kFirst, bool kMaximize, bool kWd>
void sgdTyped(const SgdArgs& a) {
  const std::vector<int64_t> starts = prefix(a.numels);
  const T lr = T(a.lr), mom = T(a.momentum), damp = T(1.0 - a.dampening), wd = T(a.weightDecay);
  parallelFor(0, starts.back(), kGrain / 2, [&](int64_t lo, int64_t hi) {
    forFlatRange(starts, lo, hi, [&](size_t k, int64_t i0, int64_t i1) {
      T* buf = kMomentum ? static_cast<T*>(a.momentumBufs[k]) + i0 : nullptr;
      sgdSpan<T, kMomentum, kNesterov, kFirst, kMaximize, kWd>(
          static_cast<T*>(a.params[k]) + i0, static_cast<const T*>(a.grads[k]) + i0, buf, i1 - i0, lr, mom, damp, wd);
    });
  });
}

}  // namespace

void adam(const AdamArgs& a) {
  const size_t n = a.numels.size();
  checkLists(n, a.params.size(), "adam", "params");
  checkLists(n, a.grads.size(), "adam", "grads");
  checkLists(n, a.expAvg.size(), "adam", "exp_avg buffers");
  checkLists(n, a.expAvgSq.size(), "adam", "exp_avg_sq buffers");
  if (a.amsgrad) checkLists(n, a.maxExpAvgSq.size(), "adam", "max_exp_avg_sq buffers");
  NT_DISPATCH_FLOAT(a.dtype, "adam", [&] {
    withFlag(a.amsgrad, [&](auto ams) {
      withFlag(a.decoupled, [&](auto dec) {
        withFlag(a.maximize, [&](auto mx) {
          withFlag(a.weightDecay != 0.0, [&](auto wd) {
            adamTyped<T, decltype(ams)::value, decltype(dec)::value, decltype(mx)::value, decltype(wd)::value>(a);
          });
        });
      });
    });
  });
}

void sgd(const SgdArgs& a) {
  const size_t n = a.numels.size();
  checkLists(n, a.params.size(), "sgd", "params");
  checkLists(n, a.grads.size(), "sgd", "grads");
  const bool momentum = !a.momentumBufs.empty();
  if (momentum) checkLists(n, a.momentumBufs.size(), "sgd", "momentum buffers");
  NT_DISPATCH_FLOAT(a.dtype, "sgd", [&] {
    withFlag(a.maximize, [&](auto mx) {
      withFlag(a.weightDecay != 0.0, [&](auto wd) {
        constexpr bool kMx = decltype(mx)::value, kWd = decltype(wd)::value;
        if (!momentum) return sgdTyped<T, false, false, false, kMx, kWd>(a);
        withFlag(a.nesterov, [&](auto nest) {
          withFlag(a.firstStep,
                   [&](auto first) { sgdTyped<T, true, decltype(nest)::value, decltype(first)::value, kMx, kWd>(a); });
        });
      });
    });
  });
}

}  // namespace cpu
}  // namespace nt
