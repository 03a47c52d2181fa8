/*
 * Row-wise softmax / log-softmax over the last dim of a contiguous
 * [rows, cols] tensor, forward and backward. Used for float32/float64 when
 * cuDNN is not loaded (or for shapes beyond cuDNN's int sizes). A group of
 * tx threads (a power of two, 32..1024) owns a row; ty rows per block.
 * Forward: one pass for the online max/sum (common/device_utils Lse), one
 * pass to write. Backward: one pass for the row sum, one pass to write.
 */
#include <cuda_runtime.h>

#include "cuda/device_utils.cuh"
#include "cuda/kernels.h"

namespace nt {
namespace cuda {
namespace {

// out[r, :] = softmax(in[r, :]) or log_softmax.  in, out: [rows, cols]
// Blocks of up to 1024 threads: the bound caps registers so launches never fail.
template <typename T>
__global__ void __launch_bounds__(1024) softmaxFwd(int64_t rows, int64_t cols, T* out, const T* in, bool logMode) {
  extern __shared__ __align__(16) unsigned char smem[];
  // The row loop is uniform over the block (rowReduce synchronizes).
  for (int64_t base = int64_t(blockIdx.x) * blockDim.y; base < rows; base += int64_t(gridDim.x) * blockDim.y) {
    const int64_t row = base + threadIdx.y;
    const bool valid = row < rows;
    const T* x = in + (valid ? row : 0) * cols;
    Lse<T> st = lseInit<T>();
    if (valid)
      for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) lseAdd(st, x[j]);
    st = rowReduce(
        st, [](const Lse<T>& a, const Lse<T>& b) { return lseCombine(a, b); }, reinterpret_cast<Lse<T>*>(smem));
    if (!valid) continue;
    T* y = out + row * cols;
    if (logMode) {
      const T lse = lseValue(st);
      for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) y[j] = x[j] - lse;
    } else {
      const T inv = T(1) / st.s;
      for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) y[j] = exp(x[j] - st.m) * inv;
    }
  }
}

// softmax:     dx = y * (dy - sum(dy * y))
// log_softmax: dx = dy - exp(y) * sum(dy)          all [rows, cols]
template <typename T>
__global__ void __launch_bounds__(1024)
    softmaxBwd(int64_t rows, int64_t cols, T* dx, const T* dy, const T* y, bool logMode) {
  extern __shared__ __align__(16) unsigned char smem[];
  for (int64_t base = int64_t(blockIdx.x) * blockDim.y; base < rows; base += int64_t(gridDim.x) * blockDim.y) {
    const int64_t row = base + threadIdx.y;
    const bool valid = row < rows;
    const int64_t o = (valid ? row : 0) * cols;
    T s = T(0);
    if (valid)
      for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) s += logMode ? dy[o + j] : dy[o + j] * y[o + j];
    s = rowReduce(
        s, [](T a, T b) { return a + b; }, reinterpret_cast<T*>(smem));
    if (!valid) continue;
    if (logMode)
      for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) dx[o + j] = dy[o + j] - exp(y[o + j]) * s;
    else
      for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) dx[o + j] = y[o + j] * (dy[o + j] - s);
  }
}

}  // namespace

void launchSoftmax(const Ctx& c, const SoftmaxArgs& a) {
  if (a.rows == 0 || a.cols == 0) return;
  const RowGeom g = rowGeom(a.rows, a.cols);
  NT_DISPATCH_FLOAT(a.dtype, "softmax", [&] {
    softmaxFwd<T><<<g.blocks, dim3(g.tx, g.ty), g.ty * 32 * sizeof(Lse<T>), c.stream>>>(
        a.rows, a.cols, static_cast<T*>(a.out), static_cast<const T*>(a.in), a.log);
    checkLaunch("softmax");
  });
}

void launchSoftmaxBackward(const Ctx& c, const SoftmaxBackwardArgs& a) {
  if (a.rows == 0 || a.cols == 0) return;
  const RowGeom g = rowGeom(a.rows, a.cols);
  NT_DISPATCH_FLOAT(a.dtype, "softmaxBackward", [&] {
    softmaxBwd<T><<<g.blocks, dim3(g.tx, g.ty), g.ty * 32 * sizeof(T), c.stream>>>(
        a.rows, a.cols, static_cast<T*>(a.dx), static_cast<const T*>(a.dy), static_cast<const T*>(a.y), a.log);
    checkLaunch("softmaxBackward");
  });
}

}  // namespace cuda
}  // namespace nt
