/*
 * Batch norm over contiguous [N, C, HW], forward and backward: nodetorch's
 * own CUDA kernels, the twin of cpu/batch_norm.cpp (same args, same
 * contract), and the fallback of the cuDNN path (batch_norm_cudnn.cpp),
 * which the launchers try first. One block per channel (grid-stride over
 * channels); its threads walk the channel's N * HW values as one flat range
 * (so HW = 1, BatchNorm1d on [N, C], keeps every thread busy). Sums are in
 * double for both dtypes, a corrected two-pass mean / variance as on the CPU.
 */
#include <cuda_runtime.h>

#include "cuda/device_utils.cuh"
#include "cuda/kernels.h"

namespace nt {
namespace cuda {
namespace {

constexpr int kBnThreads = 512;

struct Sums {
  double a, b;
};

__device__ __forceinline__ Sums addSums(Sums p, Sums q) { return {p.a + q.a, p.b + q.b}; }

// Offset of the k-th value (0 <= k < N * HW) of channel c.
__device__ __forceinline__ int64_t at(int64_t k, int64_t c, int64_t C, int64_t HW) {
  const int64_t i = k / HW;
  return (i * C + c) * HW + (k - i * HW);
}

template <typename T>
__global__ void __launch_bounds__(kBnThreads)
    bnFwd(int64_t N, int64_t C, int64_t HW, double eps, double m, bool training, T* out, const T* in, const T* w,
          const T* b, T* rm, T* rv, T* sm, T* si) {
  __shared__ Sums shm[32];
  const int64_t count = N * HW;
  const auto add = [](Sums p, Sums q) { return addSums(p, q); };
  for (int64_t c = blockIdx.x; c < C; c += gridDim.x) {
    double mu, invstd;
    if (training) {
      Sums s{0, 0};
      for (int64_t k = threadIdx.x; k < count; k += blockDim.x) s.a += double(in[at(k, c, C, HW)]);
      mu = rowReduce(s, add, shm).a / double(count);
      Sums d{0, 0};
      for (int64_t k = threadIdx.x; k < count; k += blockDim.x) {
        const double v = double(in[at(k, c, C, HW)]) - mu;
        d.a += v;
        d.b += v * v;
      }
      d = rowReduce(d, add, shm);
      const double var = fmax(0.0, (d.b - d.a * d.a / double(count)) / double(count));
      mu += d.a / double(count);
      invstd = 1.0 / sqrt(var + eps);
      if (threadIdx.x == 0) {
        if (rm) rm[c] = T((1 - m) * double(rm[c]) + m * mu);
        if (rv) rv[c] = T((1 - m) * double(rv[c]) + m * var * double(count) / double(count - 1));
      }
    } else {
      mu = double(rm[c]);
      invstd = 1.0 / sqrt(double(rv[c]) + eps);
    }
    if (threadIdx.x == 0 && sm) {
      sm[c] = T(mu);
      si[c] = T(invstd);
    }
    const double scale = w ? double(w[c]) * invstd : invstd;
    const T s = T(scale), t = T((b ? double(b[c]) : 0.0) - mu * scale);
    for (int64_t k = threadIdx.x; k < count; k += blockDim.x) {
      const int64_t o = at(k, c, C, HW);
      out[o] = in[o] * s + t;
    }
  }
}

template <typename T>
__global__ void __launch_bounds__(kBnThreads)
    bnBwd(int64_t N, int64_t C, int64_t HW, bool training, T* dx, T* dw, T* db, const T* dy, const T* in, const T* mean,
          const T* inv, const T* w) {
  __shared__ Sums shm[32];
  const int64_t count = N * HW;
  const auto add = [](Sums p, Sums q) { return addSums(p, q); };
  for (int64_t c = blockIdx.x; c < C; c += gridDim.x) {
    const double mu = double(mean[c]), is = double(inv[c]);
    Sums s{0, 0};
    if (dw || db || (dx && training)) {
      for (int64_t k = threadIdx.x; k < count; k += blockDim.x) {
        const int64_t o = at(k, c, C, HW);
        const double g = double(dy[o]);
        s.a += g;
        s.b += g * (double(in[o]) - mu);
      }
      s = rowReduce(s, add, shm);
    }
    if (threadIdx.x == 0) {
      if (dw) dw[c] = T(s.b * is);
      if (db) db[c] = T(s.a);
    }
    if (dx) {
      const double k0 = w ? double(w[c]) * is : is;
      if (training) {
        // dx = k0 (dy - sg / n - (x - mu) is^2 sgx / n) = k0 dy + bx x + d
        const double bx = -k0 * is * is * s.b / double(count);
        const T a = T(k0), bb = T(bx), d = T(-k0 * s.a / double(count) - bx * mu);
        for (int64_t k = threadIdx.x; k < count; k += blockDim.x) {
          const int64_t o = at(k, c, C, HW);
          dx[o] = a * dy[o] + bb * in[o] + d;
        }
      } else {
        const T a = T(k0);
        for (int64_t k = threadIdx.x; k < count; k += blockDim.x) {
          const int64_t o = at(k, c, C, HW);
          dx[o] = a * dy[o];
        }
      }
    }
  }
}

unsigned channelBlocks(int64_t C) { return unsigned(C < 65535 ? C : 65535); }

}  // namespace

void launchBatchNormForward(const Ctx& c, const BatchNormForwardArgs& a) {
  if (a.N <= 0 || a.C <= 0 || a.HW <= 0) return;
  if (cudnnBatchNormForward(c, a)) return;
  NT_DISPATCH_FLOAT(a.dtype, "batch_norm", [&] {
    bnFwd<T><<<channelBlocks(a.C), kBnThreads, 0, c.stream>>>(
        a.N, a.C, a.HW, a.eps, a.momentum, a.training, static_cast<T*>(a.out), static_cast<const T*>(a.in),
        static_cast<const T*>(a.weight), static_cast<const T*>(a.bias), static_cast<T*>(a.runningMean),
        static_cast<T*>(a.runningVar), static_cast<T*>(a.saveMean), static_cast<T*>(a.saveInvstd));
    checkLaunch("batch_norm");
  });
}

void launchBatchNormBackward(const Ctx& c, const BatchNormBackwardArgs& a) {
  if (a.C <= 0) return;
  if (cudnnBatchNormBackward(c, a)) return;
  NT_DISPATCH_FLOAT(a.dtype, "batch_norm_backward", [&] {
    bnBwd<T><<<channelBlocks(a.C), kBnThreads, 0, c.stream>>>(
        a.N, a.C, a.HW, a.training, static_cast<T*>(a.dx), static_cast<T*>(a.dweight), static_cast<T*>(a.dbias),
        static_cast<const T*>(a.dy), static_cast<const T*>(a.in), static_cast<const T*>(a.mean),
        static_cast<const T*>(a.invstd), static_cast<const T*>(a.weight));
    checkLaunch("batch_norm_backward");
  });
}

}  // namespace cuda
}  // namespace nt
