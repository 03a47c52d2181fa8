/*
 * Multi-tensor Adam/AdamW and SGD: one launch updates up to kMaxTensors
 * tensors (a typical parameter group needs one or two launches), through
 * the multi-tensor apply of multi_tensor.cuh. The per-element update is
 * nt::scalar::adamUpdate / sgdUpdate, shared with the CPU; hyper-parameters
 * are converted to T on the host as the CPU does.
 */
#include <cuda_runtime.h>

#include <string>

#include "common/scalar_ops.h"
#include "cuda/device_utils.cuh"
#include "cuda/kernels.h"
#include "cuda/multi_tensor.cuh"

namespace nt {
namespace cuda {
namespace {

template <typename T>
struct AdamHyper {
  scalar::AdamCoeffs<T> c;
  bool weightDecay, decoupled, maximize;
};

// ptr: 0 params, 1 grads, 2 exp_avg, 3 exp_avg_sq, 4 max_exp_avg_sq (amsgrad)
template <typename T, bool kAms>
__global__ void adamKernel(ChunkIndex<5> m, AdamHyper<T> h) {
  const int k = findTensor(m, blockIdx.x);
  const int64_t begin = (int64_t(blockIdx.x) - m.chunkStart[k]) * kChunk;
  const int64_t end = min(m.numel[k], begin + kChunk);
  T* p = static_cast<T*>(m.ptr[0][k]);
  const T* g = static_cast<const T*>(m.ptr[1][k]);
  T* ea = static_cast<T*>(m.ptr[2][k]);
  T* eas = static_cast<T*>(m.ptr[3][k]);
  T* vmax = kAms ? static_cast<T*>(m.ptr[4][k]) : nullptr;
  for (int64_t i = begin + threadIdx.x; i < end; i += blockDim.x) {
    T pi = p[i], mi = ea[i], vi = eas[i], vm = kAms ? vmax[i] : T(0);
    scalar::adamUpdate<T>(pi, g[i], mi, vi, kAms ? &vm : nullptr, h.c, h.weightDecay, h.decoupled, h.maximize);
    p[i] = pi;
    ea[i] = mi;
    eas[i] = vi;
    if (kAms) vmax[i] = vm;
  }
}

template <typename T>
struct SgdHyper {
  T lr, momentum, oneMinusDampening, wd;
  bool nesterov, firstStep, maximize;
};

// ptr: 0 params, 1 grads, 2 momentum buffers (when kMomentum)
template <typename T, bool kMomentum>
__global__ void sgdKernel(ChunkIndex<3> m, SgdHyper<T> h) {
  const int k = findTensor(m, blockIdx.x);
  const int64_t begin = (int64_t(blockIdx.x) - m.chunkStart[k]) * kChunk;
  const int64_t end = min(m.numel[k], begin + kChunk);
  T* p = static_cast<T*>(m.ptr[0][k]);
  const T* g = static_cast<const T*>(m.ptr[1][k]);
  T* buf = kMomentum ? static_cast<T*>(m.ptr[2][k]) : nullptr;
  for (int64_t i = begin + threadIdx.x; i < end; i += blockDim.x) {
    T pi = p[i], bi = kMomentum ? buf[i] : T(0);
    scalar::sgdUpdate<T>(pi, g[i], kMomentum ? &bi : nullptr, h.lr, h.momentum, h.oneMinusDampening, h.wd, h.nesterov,
                         h.firstStep, h.maximize);
    p[i] = pi;
    if (kMomentum) buf[i] = bi;
  }
}

}  // namespace

void launchAdam(const Ctx& c, const AdamArgs& a) {
  const size_t n = a.numels.size();
  checkList(n, a.params.size(), "adam", "params");
  checkList(n, a.grads.size(), "adam", "grads");
  checkList(n, a.expAvg.size(), "adam", "exp_avg buffers");
  checkList(n, a.expAvgSq.size(), "adam", "exp_avg_sq buffers");
  if (a.amsgrad) checkList(n, a.maxExpAvgSq.size(), "adam", "max_exp_avg_sq buffers");
  const std::vector<void*>* lists[5] = {&a.params, &a.grads, &a.expAvg, &a.expAvgSq,
                                        a.amsgrad ? &a.maxExpAvgSq : nullptr};
  NT_DISPATCH_FLOAT(a.dtype, "adam", [&] {
    const AdamHyper<T> h{
        scalar::adamCoeffs<T>(a.lr, a.beta1, a.beta2, a.eps, a.weightDecay, a.biasCorrection1, a.biasCorrection2),
        a.weightDecay != 0, a.decoupled, a.maximize};
    forEachBatch<5>(a.numels, lists, [&](const ChunkIndex<5>& m, int64_t blocks) {
      if (a.amsgrad) adamKernel<T, true><<<unsigned(blocks), kThreads, 0, c.stream>>>(m, h);
      else adamKernel<T, false><<<unsigned(blocks), kThreads, 0, c.stream>>>(m, h);
      checkLaunch("adam");
    });
  });
}

void launchSgd(const Ctx& c, const SgdArgs& a) {
  const size_t n = a.numels.size();
  checkList(n, a.params.size(), "sgd", "params");
  checkList(n, a.grads.size(), "sgd", "grads");
  const bool momentum = !a.momentumBufs.empty();
  if (momentum) checkList(n, a.momentumBufs.size(), "sgd", "momentum buffers");
  const std::vector<void*>* lists[3] = {&a.params, &a.grads, momentum ? &a.momentumBufs : nullptr};
  NT_DISPATCH_FLOAT(a.dtype, "sgd", [&] {
    const SgdHyper<T> h{T(a.lr),     T(a.momentum), T(1.0 - a.dampening), T(a.weightDecay), a.nesterov,
                        a.firstStep, a.maximize};
    forEachBatch<3>(a.numels, lists, [&](const ChunkIndex<3>& m, int64_t blocks) {
      if (momentum) sgdKernel<T, true><<<unsigned(blocks), kThreads, 0, c.stream>>>(m, h);
      else sgdKernel<T, false><<<unsigned(blocks), kThreads, 0, c.stream>>>(m, h);
      checkLaunch("sgd");
    });
  });
}

}  // namespace cuda
}  // namespace nt
