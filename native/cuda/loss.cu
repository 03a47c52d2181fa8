/*
 * Fused cross-entropy over contiguous logits [N, C] and integer targets [N]:
 * a group of threads per row computes, in one read of the row, the running
 * max, sum of exp and sum of logits (for label smoothing); the loss follows,
 * and when dlogits is wanted a second read writes
 *   softmax(x) - (1-ls)*onehot(t) - ls/C
 * without ever storing the probabilities. Rows are read with 16-byte loads
 * when every row is 16-byte aligned. Targets are checked by a kernel queued
 * before this one (queueIndexCheck in index.cu); a bad one is skipped here
 * and raised as IndexError at the next synchronization point.
 */
#include <cuda_runtime.h>

#include "cuda/device_utils.cuh"
#include "cuda/kernels.h"

namespace nt {
namespace cuda {
namespace {

template <typename T>
struct CeState {
  Lse<T> lse;
  T sum;
};

template <typename T>
__device__ __forceinline__ void ceAdd(CeState<T>& st, T x) {
  lseAdd(st.lse, x);
  st.sum += x;
}

// losses[n] and (optionally) dlogits[n, :] for each row n of logits [N, C].
template <typename T, typename I, bool kVec>
__global__ void __launch_bounds__(1024) crossEntropyKernel(int64_t N, int64_t C, const T* logits, const I* targets,
                                                           T* losses, T* dlogits, int64_t ignoreIndex, double lsd) {
  const T ls = static_cast<T>(lsd);
  constexpr int V = kVec ? 16 / sizeof(T) : 1;
  using VecT = Vec<T, V>;
  extern __shared__ __align__(16) unsigned char smem[];
  for (int64_t base = int64_t(blockIdx.x) * blockDim.y; base < N; base += int64_t(gridDim.x) * blockDim.y) {
    const int64_t row = base + threadIdx.y;
    const bool valid = row < N;
    const T* x = logits + (valid ? row : 0) * C;
    CeState<T> st{lseInit<T>(), T(0)};
    if (valid) {
      const int64_t nv = C / V;  // kVec implies C % V == 0
      for (int64_t v = threadIdx.x; v < nv; v += blockDim.x) {
        const VecT xv = reinterpret_cast<const VecT*>(x)[v];
#pragma unroll
        for (int k = 0; k < V; ++k) ceAdd(st, xv.v[k]);
      }
    }
    st = rowReduce(
        st,
        [](const CeState<T>& a, const CeState<T>& b) {
          return CeState<T>{lseCombine(a.lse, b.lse), a.sum + b.sum};
        },
        reinterpret_cast<CeState<T>*>(smem));
    if (!valid) continue;
    const int64_t t = static_cast<int64_t>(targets[row]);
    // Out-of-range targets are reported by the deferred index check;
    // treating them as ignored here keeps every read in bounds.
    const bool ignored = t == ignoreIndex || t < 0 || t >= C;
    const T lse = lseValue(st.lse);
    if (threadIdx.x == 0) {
      T loss = T(0);
      if (!ignored) {
        const T xt = x[t];
        // In double with explicit rounding, as the CPU twin writes it
        // (nvcc would otherwise contract the sum of products into an FMA).
        const double l = double(lse);
        loss = T(__dadd_rn(__dmul_rn(1.0 - lsd, l - double(xt)), __dmul_rn(lsd, l - double(st.sum) / double(C))));
      }
      losses[row] = loss;
    }
    if (dlogits) {
      T* d = dlogits + row * C;
      const T uniform = ls / T(C);
      const int64_t nv = C / V;
      for (int64_t v = threadIdx.x; v < nv; v += blockDim.x) {
        VecT g;
        if (ignored) {
#pragma unroll
          for (int k = 0; k < V; ++k) g.v[k] = T(0);
        } else {
          const VecT xv = reinterpret_cast<const VecT*>(x)[v];
#pragma unroll
          for (int k = 0; k < V; ++k) {
            const int64_t j = v * V + k;
            g.v[k] = exp(xv.v[k] - lse) - (j == t ? T(1) - ls : T(0)) - uniform;
          }
        }
        reinterpret_cast<VecT*>(d)[v] = g;
      }
    }
  }
}

}  // namespace

void launchCrossEntropy(const Ctx& c, const CrossEntropyArgs& a) {
  if (a.N == 0) return;
  const int tx = nextPow2(a.C, 32, 1024);
  const int ty = tx >= 256 ? 1 : 256 / tx;
  const unsigned blocks = gridFor(a.N, ty, 1 << 16);
  NT_DISPATCH_FLOAT(a.dtype, "crossEntropy", [&] {
    NT_DISPATCH_INDEX(a.targetDtype, "crossEntropy", [&] {
      constexpr int V = 16 / sizeof(T);
      const bool vec = a.C % V == 0 && aligned16(a.logits) && (!a.dlogits || aligned16(a.dlogits));
      const size_t shm = ty * 32 * sizeof(CeState<T>);
      auto* logits = static_cast<const T*>(a.logits);
      auto* targets = static_cast<const I*>(a.targets);
      auto* losses = static_cast<T*>(a.losses);
      auto* dlogits = static_cast<T*>(a.dlogits);
      const double ls = a.labelSmoothing;
      if (vec)
        crossEntropyKernel<T, I, true>
            <<<blocks, dim3(tx, ty), shm, c.stream>>>(a.N, a.C, logits, targets, losses, dlogits, a.ignoreIndex, ls);
      else
        crossEntropyKernel<T, I, false>
            <<<blocks, dim3(tx, ty), shm, c.stream>>>(a.N, a.C, logits, targets, losses, dlogits, a.ignoreIndex, ls);
      checkLaunch("crossEntropy");
    });
  });
}

}  // namespace cuda
}  // namespace nt
