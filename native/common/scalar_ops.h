// Scalar formulas shared by the CPU kernels and the CUDA kernels, so each
// formula is written once. Everything here is NT_HD and header-only.
#pragma once
#include <cmath>
#include <cstdint>

#include "arith.h"
#include "hd.h"

namespace nt {
namespace scalar {

#ifndef __CUDACC__
// Host code: pick the float overloads for T = float (the unqualified C
// functions would compute in double). Device code gets them from CUDA.
using std::erf;
using std::exp;
using std::sqrt;
#endif

template <typename T>
NT_HD T sigmoid(T x) {
  return T(1) / (T(1) + exp(-x));
}

// GELU, exact (erf) form as PyTorch's default.
template <typename T>
NT_HD T gelu(T x) {
  return T(0.5) * x * (T(1) + erf(x * T(0.70710678118654752440)));
}
template <typename T>
NT_HD T geluGrad(T x) {
  const T cdf = T(0.5) * (T(1) + erf(x * T(0.70710678118654752440)));
  const T pdf = exp(T(-0.5) * x * x) * T(0.39894228040143267794);
  return addRn(cdf, mulRn(x, pdf));  // no FMA, so CPU and CUDA round alike
}

// NaN propagates, as in PyTorch.
template <typename T>
NT_HD T relu(T x) {
  return !(x <= T(0)) ? x : T(0);
}

// One Adam/AdamW step for one element; p, m, v (and vmax when amsgrad) are
// updated in place. bc1 = 1 - beta1^t, bc2 = 1 - beta2^t (host-computed).
template <typename T>
NT_HD void adamUpdate(T& p, T g, T& m, T& v, T* vmax, T lr, T beta1, T beta2, T eps, T weightDecay, T bc1, T bc2,
                      bool decoupled, bool maximize) {
  if (maximize) g = -g;
  if (weightDecay != T(0)) {
    if (decoupled) p = p * (T(1) - lr * weightDecay);
    else g = g + weightDecay * p;
  }
  m = beta1 * m + (T(1) - beta1) * g;
  v = beta2 * v + (T(1) - beta2) * g * g;
  T vhat = v;
  if (vmax) {
    if (v > *vmax) *vmax = v;
    vhat = *vmax;
  }
  const T denom = sqrt(vhat) / sqrt(bc2) + eps;
  p = p - (lr / bc1) * (m / denom);
}

// One SGD step for one element, as current PyTorch: the gradient is negated
// first when maximizing, then weight decay and momentum apply. buf may be
// null when momentum == 0.
template <typename T>
NT_HD void sgdUpdate(T& p, T g, T* buf, T lr, T momentum, T dampening, T weightDecay, bool nesterov, bool firstStep,
                     bool maximize) {
  if (maximize) g = -g;
  if (weightDecay != T(0)) g = g + weightDecay * p;
  if (buf) {
    if (firstStep) *buf = g;
    else *buf = momentum * *buf + (T(1) - dampening) * g;
    g = nesterov ? g + momentum * *buf : *buf;
  }
  p = p - lr * g;
}

}  // namespace scalar
}  // namespace nt
