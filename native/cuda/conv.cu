/*
 * The three conv2d kernels on the device, twins of cpu/conv.cpp's loops: one
 * thread per output element over the shared formulas of common/conv_direct.h,
 * accumulated in the element type's accumulator (double for both: these are
 * the reference kernels; the conv ops on CUDA run im2col + cuBLAS).
 */
#include <cuda_runtime.h>

#include "common/conv_direct.h"
#include "cuda/device_utils.cuh"
#include "cuda/kernels.h"

namespace nt {
namespace cuda {
namespace {

template <typename T, class A>
__global__ void conv2dForwardKernel(A a, T* out, const T* x, const T* w, int64_t n) {
  const int64_t step = int64_t(gridDim.x) * blockDim.x;
  for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < n; e += step)
    out[e] = T(conv::forwardAt<double>(a, x, w, e));
}

template <typename T, class A>
__global__ void conv2dBackwardDataKernel(A a, T* dx, const T* dy, const T* w, int64_t n) {
  const int64_t step = int64_t(gridDim.x) * blockDim.x;
  for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < n; e += step)
    dx[e] = T(conv::backwardDataAt<double>(a, dy, w, e));
}

template <typename T, class A>
__global__ void conv2dBackwardWeightKernel(A a, T* dw, const T* x, const T* dy, int64_t n) {
  const int64_t step = int64_t(gridDim.x) * blockDim.x;
  for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < n; e += step)
    dw[e] = T(conv::backwardWeightAt<double>(a, x, dy, e));
}

}  // namespace

void launchConv2dForward(const Ctx& c, const Conv2dForwardArgs& a) {
  const int64_t n = a.N * a.Co * a.Ho * a.Wo;
  if (n == 0) return;
  NT_DISPATCH_FLOAT(a.dtype, "conv2d_forward", [&] {
    conv2dForwardKernel<T><<<gridFor(n, kThreads), kThreads, 0, c.stream>>>(
        a, static_cast<T*>(a.out), static_cast<const T*>(a.input), static_cast<const T*>(a.weight), n);
    checkLaunch("conv2d_forward");
  });
}

void launchConv2dBackwardData(const Ctx& c, const Conv2dBackwardDataArgs& a) {
  const int64_t n = a.N * a.C * a.H * a.W;
  if (n == 0) return;
  NT_DISPATCH_FLOAT(a.dtype, "conv2d_backward_data", [&] {
    conv2dBackwardDataKernel<T><<<gridFor(n, kThreads), kThreads, 0, c.stream>>>(
        a, static_cast<T*>(a.dx), static_cast<const T*>(a.dy), static_cast<const T*>(a.weight), n);
    checkLaunch("conv2d_backward_data");
  });
}

void launchConv2dBackwardWeight(const Ctx& c, const Conv2dBackwardWeightArgs& a) {
  const int64_t n = a.Co * a.Cg * a.kh * a.kw;
  if (n == 0) return;
  NT_DISPATCH_FLOAT(a.dtype, "conv2d_backward_weight", [&] {
    conv2dBackwardWeightKernel<T><<<gridFor(n, kThreads), kThreads, 0, c.stream>>>(
        a, static_cast<T*>(a.dweight), static_cast<const T*>(a.input), static_cast<const T*>(a.dy), n);
    checkLaunch("conv2d_backward_weight");
  });
}

}  // namespace cuda
}  // namespace nt
