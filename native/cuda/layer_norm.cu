/*
 * Layer norm and RMS norm over the rows of a contiguous [rows, cols] tensor,
 * forward and backward: the CUDA twin of cpu/layer_norm.cpp (same args, same
 * contract; `rms` selects RMS norm). A group of tx threads (a power of two,
 * 32..1024) owns a row, ty rows per block, as in softmax.cu. Statistics are
 * a two-pass mean / variance in the element type (the mean of x - x[0], then
 * the mean square of x - mean). The weight and bias
 * gradients are column sums: each of `splits` row ranges writes its partial
 * sums to a scratch buffer and a second kernel adds them in order, so there
 * are no atomics and the result is deterministic.
 */
#include <cuda_runtime.h>

#include "cuda/device_utils.cuh"
#include "cuda/kernels.h"

namespace nt {
namespace cuda {
namespace {

template <typename T>
struct Pair {
  T a, b;
};

// y[r, :] = (x - mean) * rstd * w + b; mean[r] (unless null), rstd[r].  x, y: [rows, cols]
template <typename T>
__global__ void __launch_bounds__(1024)
    lnFwd(int64_t rows, int64_t cols, T eps, bool rms, T* out, T* mean, T* rstd, const T* in, const T* w, const T* b) {
  extern __shared__ __align__(16) unsigned char smem[];
  T* shm = reinterpret_cast<T*>(smem);
  const auto add = [](T p, T q) { return p + q; };
  for (int64_t base = int64_t(blockIdx.x) * blockDim.y; base < rows; base += int64_t(gridDim.x) * blockDim.y) {
    const int64_t row = base + threadIdx.y;
    const bool valid = row < rows;
    const T* x = in + (valid ? row : 0) * cols;
    T mu = T(0);
    if (!rms) {
      // Summing x - x[0] keeps the partial sums small, as the CPU kernel does.
      const T x0 = valid ? x[0] : T(0);
      T s = T(0);
      if (valid)
        for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) s += x[j] - x0;
      mu = x0 + rowReduce(s, add, shm) / T(cols);
    }
    T v = T(0);
    if (valid)
      for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) v += (x[j] - mu) * (x[j] - mu);
    v = rowReduce(v, add, shm) / T(cols);
    if (!valid) continue;
    const T rs = T(1) / sqrt(v + eps);
    if (threadIdx.x == 0) {
      if (mean) mean[row] = mu;
      rstd[row] = rs;
    }
    T* y = out + row * cols;
    for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) {
      T t = (x[j] - mu) * rs;
      if (w) t *= w[j];
      if (b) t += b[j];
      y[j] = t;
    }
  }
}

// dx = rstd * (g - mean(g) - xhat * mean(g * xhat)), g = dy * w; RMS drops mean(g).
template <typename T>
__global__ void __launch_bounds__(1024) lnBwdDx(int64_t rows, int64_t cols, bool rms, T* dx, const T* dy, const T* in,
                                                const T* mean, const T* rstd, const T* w) {
  extern __shared__ __align__(16) unsigned char smem[];
  Pair<T>* shm = reinterpret_cast<Pair<T>*>(smem);
  for (int64_t base = int64_t(blockIdx.x) * blockDim.y; base < rows; base += int64_t(gridDim.x) * blockDim.y) {
    const int64_t row = base + threadIdx.y;
    const bool valid = row < rows;
    const int64_t o = (valid ? row : 0) * cols;
    const T mu = rms || !valid ? T(0) : mean[row];
    const T rs = valid ? rstd[row] : T(0);
    Pair<T> s{T(0), T(0)};
    if (valid)
      for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) {
        const T g = w ? dy[o + j] * w[j] : dy[o + j];
        s.a += g;
        s.b += g * (in[o + j] - mu);
      }
    s = rowReduce(
        s,
        [](const Pair<T>& p, const Pair<T>& q) {
          return Pair<T>{p.a + q.a, p.b + q.b};
        },
        shm);
    if (!valid) continue;
    const T mg = rms ? T(0) : s.a / T(cols), mgx = s.b * rs / T(cols);
    for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) {
      const T g = w ? dy[o + j] * w[j] : dy[o + j];
      dx[o + j] = rs * (g - mg - (in[o + j] - mu) * rs * mgx);
    }
  }
}

// part[s, 0, j] = sum of dy * xhat, part[s, 1, j] = sum of dy over rows of split s.  part: [splits, 2, cols]
template <typename T>
__global__ void lnBwdPartial(int64_t rows, int64_t cols, int64_t splits, bool rms, T* part, const T* dy, const T* in,
                             const T* mean, const T* rstd) {
  const int64_t j = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  const int64_t s = blockIdx.y;
  if (j >= cols) return;
  const int64_t r0 = rows * s / splits, r1 = rows * (s + 1) / splits;
  T sw = T(0), sb = T(0);
  for (int64_t r = r0; r < r1; ++r) {
    const T d = dy[r * cols + j];
    sw += d * (in[r * cols + j] - (rms ? T(0) : mean[r])) * rstd[r];
    sb += d;
  }
  part[(s * 2) * cols + j] = sw;
  part[(s * 2 + 1) * cols + j] = sb;
}

template <typename T>
__global__ void lnBwdSum(int64_t cols, int64_t splits, const T* part, T* dw, T* db) {
  const int64_t j = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (j >= cols) return;
  T sw = T(0), sb = T(0);
  for (int64_t s = 0; s < splits; ++s) {
    sw += part[(s * 2) * cols + j];
    sb += part[(s * 2 + 1) * cols + j];
  }
  if (dw) dw[j] = sw;
  if (db) db[j] = sb;
}

}  // namespace

void launchLayerNorm(const Ctx& c, const LayerNormArgs& a) {
  if (a.rows <= 0 || a.cols <= 0) return;
  const RowGeom g = rowGeom(a.rows, a.cols);
  NT_DISPATCH_FLOAT(a.dtype, "layer_norm", [&] {
    lnFwd<T><<<g.blocks, dim3(g.tx, g.ty), g.ty * 32 * sizeof(T), c.stream>>>(
        a.rows, a.cols, T(a.eps), a.rms, static_cast<T*>(a.out), static_cast<T*>(a.mean), static_cast<T*>(a.rstd),
        static_cast<const T*>(a.in), static_cast<const T*>(a.weight), static_cast<const T*>(a.bias));
    checkLaunch("layer_norm");
  });
}

void launchLayerNormBackward(const Ctx& c, const LayerNormBackwardArgs& a) {
  if (a.cols <= 0) return;
  NT_DISPATCH_FLOAT(a.dtype, "layer_norm_backward", [&] {
    const T* dy = static_cast<const T*>(a.dy);
    const T* in = static_cast<const T*>(a.in);
    const T* mean = static_cast<const T*>(a.mean);
    const T* rstd = static_cast<const T*>(a.rstd);
    if (a.dx && a.rows > 0) {
      const RowGeom g = rowGeom(a.rows, a.cols);
      lnBwdDx<T><<<g.blocks, dim3(g.tx, g.ty), g.ty * 32 * sizeof(Pair<T>), c.stream>>>(
          a.rows, a.cols, a.rms, static_cast<T*>(a.dx), dy, in, mean, rstd, static_cast<const T*>(a.weight));
      checkLaunch("layer_norm_backward");
    }
    if (!a.dweight && !a.dbias) return;
    // About 64 rows per split, at most 1024 splits (and at least one, for rows == 0).
    const int64_t splits = std::max<int64_t>(1, std::min<int64_t>(1024, (a.rows + 63) / 64));
    TempBuffer part(*c.alloc, size_t(splits) * 2 * size_t(a.cols) * sizeof(T));
    T* p = static_cast<T*>(part.get());
    const unsigned cb = gridFor(a.cols, kThreads, 1 << 30);
    lnBwdPartial<T>
        <<<dim3(cb, unsigned(splits)), kThreads, 0, c.stream>>>(a.rows, a.cols, splits, a.rms, p, dy, in, mean, rstd);
    checkLaunch("layer_norm_backward");
    lnBwdSum<T><<<cb, kThreads, 0, c.stream>>>(a.cols, splits, p, static_cast<T*>(a.dweight), static_cast<T*>(a.dbias));
    checkLaunch("layer_norm_backward");
  });
}

}  // namespace cuda
}  // namespace nt
