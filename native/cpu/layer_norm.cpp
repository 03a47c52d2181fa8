// Layer norm and RMS norm over the rows of a contiguous [rows, cols] tensor
// (LayerNormArgs / LayerNormBackwardArgs; `rms` selects RMS norm: no mean,
// no bias). Statistics are computed in the element type (float for float32,
// as PyTorch's CPU kernel does) with a two-pass mean / variance (the mean of
// x - x[0], then the mean square of x - mean), each sum kept in kL partial
// sums so the loops vectorize without reassociation.
// Threads split the rows. The weight and bias gradients are sums over rows:
// each block of rows writes its own partial sums, which are then added in
// block order, so no two threads write one location and the result does not
// depend on the thread count's timing.
#include <algorithm>
#include <cmath>
#include <vector>

#include "cpu/kernels_cpu.h"
#include "cpu/loops.h"
#include "cpu/parallel.h"

namespace nt {
namespace cpu {
namespace {

constexpr int kL = 8;

// sum of f(j) over [0, n), kL partial sums.
template <class T, class F>
inline T laneSum(int64_t n, F&& f) {
  T lane[kL] = {};
  int64_t j = 0;
  for (; j + kL <= n; j += kL)
    for (int k = 0; k < kL; ++k) lane[k] += f(j + k);
  T s = T(0);
  for (int k = 0; k < kL; ++k) s += lane[k];
  for (; j < n; ++j) s += f(j);
  return s;
}

int64_t rowGrain(int64_t cols) { return std::max<int64_t>(1, kGrain / 4 / std::max<int64_t>(1, cols)); }

template <class T>
void forwardRows(const LayerNormArgs& a, int64_t r0, int64_t r1) {
  const int64_t n = a.cols;
  const T* __restrict w = static_cast<const T*>(a.weight);
  const T* __restrict b = static_cast<const T*>(a.bias);
  T* mean = static_cast<T*>(a.mean);
  T* rstd = static_cast<T*>(a.rstd);
  for (int64_t r = r0; r < r1; ++r) {
    const T* __restrict x = static_cast<const T*>(a.in) + r * n;
    T* __restrict y = static_cast<T*>(a.out) + r * n;
    T mu = T(0), var;
    if (a.rms) {
      var = laneSum<T>(n, [&](int64_t j) { return x[j] * x[j]; }) / T(n);
    } else {
      // Summing x - x[0] keeps the partial sums small: a large common offset costs no precision.
      const T x0 = x[0];
      mu = x0 + laneSum<T>(n, [&](int64_t j) { return x[j] - x0; }) / T(n);
      var = laneSum<T>(n, [&](int64_t j) { return (x[j] - mu) * (x[j] - mu); }) / T(n);
    }
    const T rs = T(1) / std::sqrt(var + T(a.eps));
    if (mean) mean[r] = mu;
    rstd[r] = rs;
    if (w && b)
      for (int64_t j = 0; j < n; ++j) y[j] = (x[j] - mu) * rs * w[j] + b[j];
    else if (w)
      for (int64_t j = 0; j < n; ++j) y[j] = (x[j] - mu) * rs * w[j];
    else if (b)
      for (int64_t j = 0; j < n; ++j) y[j] = (x[j] - mu) * rs + b[j];
    else
      for (int64_t j = 0; j < n; ++j) y[j] = (x[j] - mu) * rs;
  }
}

// sg = sum of g and sgx = sum of g * (x - mu) over a row, g = dy * w (or dy),
// kL partial sums each; HasW is a template argument so the loop has no branch.
template <class T, bool HasW>
inline void gradSums(const T* __restrict dy, const T* __restrict w, const T* __restrict x, T mu, int64_t n, T& sg,
                     T& sgx) {
  T a[kL] = {}, b[kL] = {};
  int64_t j = 0;
  for (; j + kL <= n; j += kL)
    for (int k = 0; k < kL; ++k) {
      const T g = HasW ? dy[j + k] * w[j + k] : dy[j + k];
      a[k] += g;
      b[k] += g * (x[j + k] - mu);
    }
  sg = T(0);
  sgx = T(0);
  for (int k = 0; k < kL; ++k) {
    sg += a[k];
    sgx += b[k];
  }
  for (; j < n; ++j) {
    const T g = HasW ? dy[j] * w[j] : dy[j];
    sg += g;
    sgx += g * (x[j] - mu);
  }
}

// Rows [r0, r1): dx, and dy * xhat / dy added into dw / db (this block's own
// partial sums, or nullptr when not wanted).
template <class T>
void backwardRows(const LayerNormBackwardArgs& a, int64_t r0, int64_t r1, T* __restrict dw, T* __restrict db) {
  const int64_t n = a.cols;
  const T* __restrict w = static_cast<const T*>(a.weight);
  const T* mean = static_cast<const T*>(a.mean);
  const T* rstd = static_cast<const T*>(a.rstd);
  for (int64_t r = r0; r < r1; ++r) {
    const T* __restrict x = static_cast<const T*>(a.in) + r * n;
    const T* __restrict dy = static_cast<const T*>(a.dy) + r * n;
    const T mu = a.rms ? T(0) : mean[r];
    const T rs = rstd[r];
    if (dw)
      for (int64_t j = 0; j < n; ++j) dw[j] += dy[j] * (x[j] - mu) * rs;
    if (db)
      for (int64_t j = 0; j < n; ++j) db[j] += dy[j];
    if (!a.dx) continue;
    T* __restrict dx = static_cast<T*>(a.dx) + r * n;
    // g = dy * w; dx = rstd * (g - mean(g) - xhat * mean(g * xhat)), without mean(g) for RMS.
    T sg, sgx;
    if (w) gradSums<T, true>(dy, w, x, mu, n, sg, sgx);
    else gradSums<T, false>(dy, w, x, mu, n, sg, sgx);
    const T mg = a.rms ? T(0) : sg / T(n), mgx = sgx * rs / T(n);
    if (w)
      for (int64_t j = 0; j < n; ++j) dx[j] = rs * (dy[j] * w[j] - mg - (x[j] - mu) * rs * mgx);
    else
      for (int64_t j = 0; j < n; ++j) dx[j] = rs * (dy[j] - mg - (x[j] - mu) * rs * mgx);
  }
}

template <class T>
void backward(const LayerNormBackwardArgs& a) {
  const int64_t rows = a.rows, n = a.cols;
  T* dwOut = static_cast<T*>(a.dweight);
  T* dbOut = static_cast<T*>(a.dbias);
  if (!dwOut && !dbOut) {
    parallelFor(0, rows, rowGrain(n), [&](int64_t lo, int64_t hi) { backwardRows<T>(a, lo, hi, nullptr, nullptr); });
    return;
  }
  // Blocks of rows, each with its own partial sums (2 * cols per block).
  const int64_t grain = rowGrain(n);
  const int64_t blocks = std::max<int64_t>(1, std::min<int64_t>(getNumThreads(), (rows + grain - 1) / grain));
  std::vector<T> partial(size_t(blocks) * size_t(2 * n), T(0));
  parallelFor(0, blocks, 1, [&](int64_t b0, int64_t b1) {
    for (int64_t blk = b0; blk < b1; ++blk) {
      T* p = partial.data() + blk * 2 * n;
      backwardRows<T>(a, rows * blk / blocks, rows * (blk + 1) / blocks, dwOut ? p : nullptr, dbOut ? p + n : nullptr);
    }
  });
  for (int64_t j = 0; j < n; ++j) {
    T sw = T(0), sb = T(0);
    for (int64_t blk = 0; blk < blocks; ++blk) {
      sw += partial[blk * 2 * n + j];
      sb += partial[blk * 2 * n + n + j];
    }
    if (dwOut) dwOut[j] = sw;
    if (dbOut) dbOut[j] = sb;
  }
}

}  // namespace

void layerNorm(const LayerNormArgs& a) {
  if (a.rows <= 0 || a.cols <= 0) return;
  NT_DISPATCH_FLOAT(a.dtype, a.rms ? "rms_norm" : "layer_norm", [&] {
    parallelFor(0, a.rows, rowGrain(a.cols), [&](int64_t lo, int64_t hi) { forwardRows<T>(a, lo, hi); });
  });
}

void layerNormBackward(const LayerNormBackwardArgs& a) {
  if (a.cols <= 0) return;
  NT_DISPATCH_FLOAT(a.dtype, a.rms ? "rms_norm_backward" : "layer_norm_backward", [&] { backward<T>(a); });
}

}  // namespace cpu
}  // namespace nt
