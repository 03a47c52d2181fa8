// Row-wise softmax / log-softmax over a contiguous [rows, cols] tensor and
// their backward passes; parallel over rows.
//
// Forward is numerically stable: m = max(row), out = exp(x - m) / sum (the
// exps are written to `out` while summing, then scaled), or for log
// out = x - m - log(sum). float32 sums go through 256-element float blocks
// added in double (expShiftSumF32), others accumulate in double. A NaN in a
// row makes the whole row NaN; a row of all -inf gives NaN like PyTorch. The
// exps are vec_exp.h's vectorized ones (expNonPos forward, expVec backward).
// GCC: they vectorize only without -ftrapping-math; the pragma precedes
// every include so all inline functions of this file share the options.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math")
#endif
#include <cmath>
#include <type_traits>

#include "cpu/kernels_cpu.h"
#include "cpu/loops.h"
#include "cpu/vec_exp.h"

namespace nt {
namespace cpu {
namespace {

template <class T>
NT_ALWAYS_INLINE void softmaxRow(T* __restrict y, const T* __restrict x, int64_t n, bool log) {
  const T m = rowMax(x, n);
  if (log) {
    const T shift = m + T(std::log(expShiftSumNoStore(x, m, n)));
    for (int64_t j = 0; j < n; ++j) y[j] = x[j] - shift;
  } else {
    const T inv = T(1.0 / expShiftSum(y, x, m, n));
    for (int64_t j = 0; j < n; ++j) y[j] *= inv;
  }
}

template <class T>
NT_ALWAYS_INLINE void softmaxBackwardRow(T* __restrict dx, const T* __restrict dy, const T* __restrict y, int64_t n,
                                         bool log) {
  if (log) {
    const T s = T(rowSum(dy, n));
    for (int64_t j = 0; j < n; ++j) dx[j] = dy[j] - expAny<T>(y[j]) * s;
  } else {
    double lane[kLanes] = {0};
    int64_t j = 0;
    for (; j + kLanes <= n; j += kLanes)
      for (int k = 0; k < kLanes; ++k) lane[k] += double(dy[j + k]) * double(y[j + k]);
    double dot = 0.0;
    for (int k = 0; k < kLanes; ++k) dot += lane[k];
    for (; j < n; ++j) dot += double(dy[j]) * double(y[j]);
    const T s = T(dot);
    for (j = 0; j < n; ++j) dx[j] = y[j] * (dy[j] - s);
  }
}

// float32 rows get one copy per ISA (NT_VEC_CLONES in vec_exp.h).
NT_VEC_CLONES void softmaxRowF32(float* y, const float* x, int64_t n, bool log) { softmaxRow<float>(y, x, n, log); }
NT_VEC_CLONES void softmaxBackwardRowF32(float* dx, const float* dy, const float* y, int64_t n, bool log) {
  softmaxBackwardRow<float>(dx, dy, y, n, log);
}

template <class T>
void rowForward(T* y, const T* x, int64_t n, bool log) {
  if constexpr (std::is_same_v<T, float>) softmaxRowF32(y, x, n, log);
  else softmaxRow<T>(y, x, n, log);
}
template <class T>
void rowBackward(T* dx, const T* dy, const T* y, int64_t n, bool log) {
  if constexpr (std::is_same_v<T, float>) softmaxBackwardRowF32(dx, dy, y, n, log);
  else softmaxBackwardRow<T>(dx, dy, y, n, log);
}

int64_t rowGrain(int64_t cols) { return std::max<int64_t>(1, kGrain / 4 / std::max<int64_t>(1, cols)); }

}  // namespace

void softmax(const SoftmaxArgs& a) {
  if (a.rows <= 0 || a.cols <= 0) return;
  NT_DISPATCH_FLOAT(a.dtype, a.log ? "log_softmax" : "softmax", [&] {
    T* out = static_cast<T*>(a.out);
    const T* in = static_cast<const T*>(a.in);
    parallelFor(0, a.rows, rowGrain(a.cols), [&](int64_t lo, int64_t hi) {
      for (int64_t r = lo; r < hi; ++r) rowForward(out + r * a.cols, in + r * a.cols, a.cols, a.log);
    });
  });
}

void softmaxBackward(const SoftmaxBackwardArgs& a) {
  if (a.rows <= 0 || a.cols <= 0) return;
  NT_DISPATCH_FLOAT(a.dtype, a.log ? "log_softmax_backward" : "softmax_backward", [&] {
    T* dx = static_cast<T*>(a.dx);
    const T* dy = static_cast<const T*>(a.dy);
    const T* y = static_cast<const T*>(a.y);
    parallelFor(0, a.rows, rowGrain(a.cols), [&](int64_t lo, int64_t hi) {
      for (int64_t r = lo; r < hi; ++r) {
        const int64_t o = r * a.cols;
        rowBackward(dx + o, dy + o, y + o, a.cols, a.log);
      }
    });
  });
}

}  // namespace cpu
}  // namespace nt
