/*
 * Multi-tensor Adagrad, Adamax, NAdam and RAdam: one launch per batch of up
 * to kMaxTensors tensors (multi_tensor.cuh). The per-element updates are
 * common/optim_ops.h, shared with the CPU; the coefficients are built in
 * double on the host and rounded once to T, as the CPU does.
 */
#include <cuda_runtime.h>

#include "common/optim_ops.h"
#include "cuda/device_utils.cuh"
#include "cuda/kernels.h"
#include "cuda/multi_tensor.cuh"

namespace nt {
namespace cuda {
namespace {

// ptr: 0 params, 1 grads, 2 sums
template <typename T>
struct AdagradOp {
  scalar::AdagradCoeffs<T> c;
  bool wd, maximize;
  __device__ void operator()(const ChunkIndex<3>& m, int k, int64_t i) const {
    T* p = static_cast<T*>(m.ptr[0][k]);
    T* s = static_cast<T*>(m.ptr[2][k]);
    T pi = p[i], si = s[i];
    scalar::adagradUpdate<T>(pi, static_cast<const T*>(m.ptr[1][k])[i], si, c, wd, maximize);
    p[i] = pi;
    s[i] = si;
  }
};

// ptr: 0 params, 1 grads, 2 exp_avg, 3 exp_inf
template <typename T>
struct AdamaxOp {
  scalar::AdamaxCoeffs<T> c;
  bool wd, maximize;
  __device__ void operator()(const ChunkIndex<4>& m, int k, int64_t i) const {
    T* p = static_cast<T*>(m.ptr[0][k]);
    T* ea = static_cast<T*>(m.ptr[2][k]);
    T* ei = static_cast<T*>(m.ptr[3][k]);
    T pi = p[i], mi = ea[i], ui = ei[i];
    scalar::adamaxUpdate<T>(pi, static_cast<const T*>(m.ptr[1][k])[i], mi, ui, c, wd, maximize);
    p[i] = pi;
    ea[i] = mi;
    ei[i] = ui;
  }
};

// ptr: 0 params, 1 grads, 2 exp_avg, 3 exp_avg_sq
template <typename T>
struct NadamOp {
  scalar::NadamCoeffs<T> c;
  bool wd;
  __device__ void operator()(const ChunkIndex<4>& m, int k, int64_t i) const {
    T* p = static_cast<T*>(m.ptr[0][k]);
    T* ea = static_cast<T*>(m.ptr[2][k]);
    T* eas = static_cast<T*>(m.ptr[3][k]);
    T pi = p[i], mi = ea[i], vi = eas[i];
    scalar::nadamUpdate<T>(pi, static_cast<const T*>(m.ptr[1][k])[i], mi, vi, c, wd);
    p[i] = pi;
    ea[i] = mi;
    eas[i] = vi;
  }
};

// ptr: 0 params, 1 grads, 2 exp_avg, 3 exp_avg_sq
template <typename T>
struct RadamOp {
  scalar::RadamCoeffs<T> c;
  bool wd, rectified;
  __device__ void operator()(const ChunkIndex<4>& m, int k, int64_t i) const {
    T* p = static_cast<T*>(m.ptr[0][k]);
    T* ea = static_cast<T*>(m.ptr[2][k]);
    T* eas = static_cast<T*>(m.ptr[3][k]);
    T pi = p[i], mi = ea[i], vi = eas[i];
    scalar::radamUpdate<T>(pi, static_cast<const T*>(m.ptr[1][k])[i], mi, vi, c, wd, rectified);
    p[i] = pi;
    ea[i] = mi;
    eas[i] = vi;
  }
};

// One launch of op per batch of the lists.
template <int N, class Op>
void launchAll(const Ctx& c, const std::vector<int64_t>& numels, const std::vector<void*>* lists[N], const Op& op,
               const char* name) {
  forEachBatch<N>(numels, lists, [&](const ChunkIndex<N>& m, int64_t blocks) {
    multiTensorKernel<N, Op><<<unsigned(blocks), kThreads, 0, c.stream>>>(m, op);
    checkLaunch(name);
  });
}

}  // namespace

void launchAdagrad(const Ctx& c, const AdagradArgs& a) {
  const size_t n = a.numels.size();
  checkList(n, a.params.size(), "adagrad", "params");
  checkList(n, a.grads.size(), "adagrad", "grads");
  checkList(n, a.sums.size(), "adagrad", "sum buffers");
  const std::vector<void*>* lists[3] = {&a.params, &a.grads, &a.sums};
  NT_DISPATCH_FLOAT(a.dtype, "adagrad", [&] {
    const AdagradOp<T> op{scalar::adagradCoeffs<T>(a.clr, a.eps, a.weightDecay), a.weightDecay != 0, a.maximize};
    launchAll<3>(c, a.numels, lists, op, "adagrad");
  });
}

void launchAdamax(const Ctx& c, const AdamaxArgs& a) {
  const size_t n = a.numels.size();
  checkList(n, a.params.size(), "adamax", "params");
  checkList(n, a.grads.size(), "adamax", "grads");
  checkList(n, a.expAvg.size(), "adamax", "exp_avg buffers");
  checkList(n, a.expInf.size(), "adamax", "exp_inf buffers");
  const std::vector<void*>* lists[4] = {&a.params, &a.grads, &a.expAvg, &a.expInf};
  NT_DISPATCH_FLOAT(a.dtype, "adamax", [&] {
    const AdamaxOp<T> op{scalar::adamaxCoeffs<T>(a.beta1, a.beta2, a.eps, a.weightDecay, a.clr), a.weightDecay != 0,
                         a.maximize};
    launchAll<4>(c, a.numels, lists, op, "adamax");
  });
}

void launchNadam(const Ctx& c, const NadamArgs& a) {
  const size_t n = a.numels.size();
  checkList(n, a.params.size(), "nadam", "params");
  checkList(n, a.grads.size(), "nadam", "grads");
  checkList(n, a.expAvg.size(), "nadam", "exp_avg buffers");
  checkList(n, a.expAvgSq.size(), "nadam", "exp_avg_sq buffers");
  const std::vector<void*>* lists[4] = {&a.params, &a.grads, &a.expAvg, &a.expAvgSq};
  NT_DISPATCH_FLOAT(a.dtype, "nadam", [&] {
    const NadamOp<T> op{
        scalar::nadamCoeffs<T>(a.beta1, a.beta2, a.eps, a.weightDecay, a.biasCorrection2, a.gradCoeff, a.avgCoeff),
        a.weightDecay != 0};
    launchAll<4>(c, a.numels, lists, op, "nadam");
  });
}

void launchRadam(const Ctx& c, const RadamArgs& a) {
  const size_t n = a.numels.size();
  checkList(n, a.params.size(), "radam", "params");
  checkList(n, a.grads.size(), "radam", "grads");
  checkList(n, a.expAvg.size(), "radam", "exp_avg buffers");
  checkList(n, a.expAvgSq.size(), "radam", "exp_avg_sq buffers");
  const std::vector<void*>* lists[4] = {&a.params, &a.grads, &a.expAvg, &a.expAvgSq};
  NT_DISPATCH_FLOAT(a.dtype, "radam", [&] {
    const RadamOp<T> op{scalar::radamCoeffs<T>(a.beta1, a.beta2, a.eps, a.weightDecay, a.stepSize), a.weightDecay != 0,
                        a.rectified};
    launchAll<4>(c, a.numels, lists, op, "radam");
  });
}

}  // namespace cuda
}  // namespace nt
