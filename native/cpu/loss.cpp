// Fused cross-entropy over contiguous logits [N, C] with integer targets [N]
// (contract in kernel_api.h: CrossEntropyArgs).
//
// Per row: pass 1 finds the max (and the plain sum, for label smoothing);
// pass 2 computes exp(x - max) with the vectorized exp of vec_exp.h,
// stored straight into the dlogits row when it is wanted, and sums it
// (float blocks added in double, see expShiftSumF32); pass 3 scales that
// row into softmax - (1-ls)*onehot - ls/C.
// Probabilities are never stored elsewhere and each element costs one exp.
// Plain stores: the row is read back by pass 3 while still in cache, so
// non-temporal stores lose (docs/benchmark-notes.md).
// All targets are validated before anything is written, so a bad target
// leaves the outputs untouched.
// GCC: the row loops vectorize only without -ftrapping-math (the selects
// in vec_exp.h); must precede every include so all inline functions of
// this file share the same options. Clang does not trap by default.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math")
#endif
#include <cmath>
#include <cstring>
#include <string>
#include <type_traits>

#include "cpu/kernels_cpu.h"
#include "cpu/loops.h"
#include "cpu/vec_exp.h"

namespace nt {
namespace cpu {
namespace {

// One row: returns the loss; writes dlogits into g when g is non-null.
template <class T>
NT_ALWAYS_INLINE T ceRow(const T* __restrict x, T* __restrict g, int64_t C, int64_t t, double ls) {
  // Fetch (the start of) the next row while this one computes: the row
  // passes alternate between waiting on memory (max) and on arithmetic (exp)
  // otherwise.
#if defined(__GNUC__)
  for (int64_t j = 0, ahead = C < 2048 ? C : 2048; j < ahead; j += 64 / sizeof(T)) __builtin_prefetch(x + C + j, 0, 3);
#endif
  const T m = rowMax(x, C);
  const double sumX = ls != 0.0 ? rowSum(x, C) : 0.0;
  const double sumE = g ? expShiftSum(g, x, m, C) : expShiftSumNoStore(x, m, C);
  const double lse = double(m) + std::log(sumE);
  if (g) {
    const T inv = T(1.0 / sumE), off = T(ls / double(C));
    for (int64_t j = 0; j < C; ++j) g[j] = g[j] * inv - off;
    g[t] -= T(1.0 - ls);
  }
  return T((1.0 - ls) * (lse - double(x[t])) + ls * (lse - sumX / double(C)));
}

// float32 rows (the hot case) get one copy per ISA (NT_VEC_CLONES).
NT_VEC_CLONES float ceRowF32(const float* x, float* g, int64_t C, int64_t t, double ls) {
  return ceRow<float>(x, g, C, t, ls);
}

template <class T>
T ceRowAny(const T* x, T* g, int64_t C, int64_t t, double ls) {
  if constexpr (std::is_same_v<T, float>) return ceRowF32(x, g, C, t, ls);
  else return ceRow<T>(x, g, C, t, ls);
}

template <class T, class I>
void crossEntropyTyped(const CrossEntropyArgs& a) {
  const int64_t N = a.N, C = a.C;
  const T* logits = static_cast<const T*>(a.logits);
  const I* targets = static_cast<const I*>(a.targets);
  T* losses = static_cast<T*>(a.losses);
  T* dlogits = static_cast<T*>(a.dlogits);
  for (int64_t r = 0; r < N; ++r) {
    const int64_t t = static_cast<int64_t>(targets[r]);
    if (t != a.ignoreIndex && (t < 0 || t >= C))
      throw Error(ErrorKind::Index, "cross_entropy: target " + std::to_string(t) + " at row " + std::to_string(r) +
                                        " is out of range [0, " + std::to_string(C) + ")");
  }
  const double ls = a.labelSmoothing;
  const int64_t grain = std::max<int64_t>(1, kGrain / 4 / std::max<int64_t>(1, C));
  parallelFor(0, N, grain, [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      const T* x = logits + r * C;
      T* g = dlogits ? dlogits + r * C : nullptr;
      const int64_t t = static_cast<int64_t>(targets[r]);
      if (t == a.ignoreIndex || C == 0) {
        losses[r] = T(0);
        if (g) std::memset(g, 0, size_t(C) * sizeof(T));
        continue;
      }
      losses[r] = ceRowAny<T>(x, g, C, t, ls);
    }
  });
}

}  // namespace

void crossEntropy(const CrossEntropyArgs& a) {
  if (a.N <= 0) return;
  NT_DISPATCH_FLOAT(a.dtype, "cross_entropy",
                    [&] { NT_DISPATCH_INDEX(a.targetDtype, "cross_entropy", [&] { crossEntropyTyped<T, I>(a); }); });
}

}  // namespace cpu
}  // namespace nt
