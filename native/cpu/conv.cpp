// The three conv2d kernels on the CPU: oneDNN when it is loaded and takes
// the call (float32), else direct loops over the shared formulas of
// common/conv_direct.h (float64, and machines without oneDNN), threaded over
// the output elements. lib only calls these when the oneDNN engine is on;
// its built-in engine is im2col + GEMM (lib/ops/conv.ts).
#include <algorithm>

#include "common/conv_direct.h"
#include "common/dtype.h"
#include "cpu/kernels_cpu.h"
#include "cpu/onednn_conv.h"
#include "cpu/parallel.h"

namespace nt {
namespace cpu {
namespace {

// Runs out[e] = f(e) for e in [0, n), in chunks of about 4096 multiply-adds.
template <class T, class F>
void eachOutput(T* out, int64_t n, int64_t workPerElement, F f) {
  const int64_t grain = std::max<int64_t>(1, 4096 / std::max<int64_t>(1, workPerElement));
  parallelFor(0, n, grain, [&](int64_t lo, int64_t hi) {
    for (int64_t e = lo; e < hi; ++e) out[e] = static_cast<T>(f(e));
  });
}

}  // namespace

void conv2dForward(const Conv2dForwardArgs& a) {
  if (onednnConvForward(a)) return;
  NT_DISPATCH_FLOAT(a.dtype, "conv2d_forward", [&] {
    const T* x = static_cast<const T*>(a.input);
    const T* w = static_cast<const T*>(a.weight);
    eachOutput(static_cast<T*>(a.out), a.N * a.Co * a.Ho * a.Wo, a.Cg * a.kh * a.kw,
               [&](int64_t e) { return conv::forwardAt<double>(a, x, w, e); });
  });
}

void conv2dBackwardData(const Conv2dBackwardDataArgs& a) {
  if (onednnConvBackwardData(a)) return;
  NT_DISPATCH_FLOAT(a.dtype, "conv2d_backward_data", [&] {
    const T* dy = static_cast<const T*>(a.dy);
    const T* w = static_cast<const T*>(a.weight);
    eachOutput(static_cast<T*>(a.dx), a.N * a.C * a.H * a.W, (a.Co / a.G) * a.kh * a.kw,
               [&](int64_t e) { return conv::backwardDataAt<double>(a, dy, w, e); });
  });
}

void conv2dBackwardWeight(const Conv2dBackwardWeightArgs& a) {
  if (onednnConvBackwardWeight(a)) return;
  NT_DISPATCH_FLOAT(a.dtype, "conv2d_backward_weight", [&] {
    const T* x = static_cast<const T*>(a.input);
    const T* dy = static_cast<const T*>(a.dy);
    eachOutput(static_cast<T*>(a.dweight), a.Co * a.Cg * a.kh * a.kw, a.N * a.Ho * a.Wo,
               [&](int64_t e) { return conv::backwardWeightAt<double>(a, x, dy, e); });
  });
}

}  // namespace cpu
}  // namespace nt
