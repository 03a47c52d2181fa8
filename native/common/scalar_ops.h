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

// The exp the formulas below call unless a caller passes its own (the CPU
// passes vec_exp.h's vectorizable one for float32 rows).
struct LibmExp {
  template <typename T>
  NT_HD T operator()(T x) const {
    return exp(x);
  }
};

template <typename T, class Exp = LibmExp>
NT_HD T sigmoid(T x, Exp e = Exp{}) {
  return T(1) / (T(1) + e(-x));
}

template <typename T, class Exp = LibmExp>
NT_HD T silu(T x, Exp e = Exp{}) {
  return x / (T(1) + e(-x));
}
// grad * silu'(x) = grad * s * (1 + x * (1 - s)), each step rounded alone.
template <typename T, class Exp = LibmExp>
NT_HD T siluBackward(T grad, T x, Exp e = Exp{}) {
  const T s = sigmoid(x, e);
  return mulRn(mulRn(grad, s), addRn(T(1), mulRn(x, subRn(T(1), s))));
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

// GELU, tanh approximation: 0.5 x (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x^3),
// written as x * sigmoid(2u) (the same function: 0.5 (1 + tanh(u)) = sigmoid(2u)),
// which needs one exp instead of a tanh (several times slower in libm) and
// keeps its precision where tanh(u) is near -1. exp overflowing to inf gives
// the limit 0 (as -0 for negative x).
template <typename T, class Exp = LibmExp>
NT_HD T geluTanhSigmoid(T x, Exp e = Exp{}) {
  const T u2 = T(2 * 0.79788456080286535588) * (x + T(0.044715) * x * x * x);
  return T(1) / (T(1) + e(-u2));
}
template <typename T, class Exp = LibmExp>
NT_HD T geluTanh(T x, Exp e = Exp{}) {
  return x * geluTanhSigmoid(x, e);
}
// d/dx: s + 2 x s (1 - s) u', s = sigmoid(2u), u' = sqrt(2/pi) (1 + 3 * 0.044715 x^2).
template <typename T, class Exp = LibmExp>
NT_HD T geluTanhGrad(T x, Exp e = Exp{}) {
  const T s = geluTanhSigmoid(x, e);
  const T du = T(0.79788456080286535588) * (T(1) + T(3 * 0.044715) * x * x);
  return s + T(2) * x * s * (T(1) - s) * du;
}

// NaN propagates, as in PyTorch.
template <typename T>
NT_HD T relu(T x) {
  return !(x <= T(0)) ? x : T(0);
}

// The coefficients of one Adam/AdamW step, computed in double from the
// hyperparameters and rounded once to T, as PyTorch passes its Python-float
// scalars (1 - beta2 rounded from 0.9999f is 1e-4 off in the 4th digit).
template <typename T>
struct AdamCoeffs {
  T beta1, oneMinusBeta1, beta2, oneMinusBeta2, eps, weightDecay;
  T decay;     // 1 - lr * weightDecay (decoupled)
  T stepSize;  // lr / (1 - beta1^t)
  T bc2Sqrt;   // sqrt(1 - beta2^t)
};

// bc1 = 1 - beta1^t, bc2 = 1 - beta2^t.
template <typename T>
AdamCoeffs<T> adamCoeffs(double lr, double beta1, double beta2, double eps, double weightDecay, double bc1,
                         double bc2) {
  return {T(beta1),    T(1.0 - beta1),   T(beta2), T(1.0 - beta2), T(eps), T(weightDecay), T(1.0 - lr * weightDecay),
          T(lr / bc1), T(std::sqrt(bc2))};
}

// One Adam/AdamW step for one element; p, m, v (and vmax when amsgrad) are
// updated in place, in the order of torch.optim.adam's single-tensor path.
// The flags are arguments so a caller passing constants gets them folded.
template <typename T>
NT_HD void adamUpdate(T& p, T g, T& m, T& v, T* vmax, const AdamCoeffs<T>& c, bool weightDecay, bool decoupled,
                      bool maximize) {
  if (maximize) g = -g;
  if (weightDecay) {
    if (decoupled) p = p * c.decay;
    else g = g + c.weightDecay * p;
  }
  m = c.beta1 * m + c.oneMinusBeta1 * g;
  v = c.beta2 * v + c.oneMinusBeta2 * g * g;
  T vhat = v;
  if (vmax) {
    if (v > *vmax) *vmax = v;
    vhat = *vmax;
  }
  const T denom = sqrt(vhat) / c.bc2Sqrt + c.eps;
  p = p - c.stepSize * (m / denom);
}

// One SGD step for one element, as current PyTorch: the gradient is negated
// first when maximizing, then weight decay and momentum apply. buf may be
// null when momentum == 0. oneMinusDampening is 1 - dampening computed in
// double by the caller and rounded once, as PyTorch does.
template <typename T>
NT_HD void sgdUpdate(T& p, T g, T* buf, T lr, T momentum, T oneMinusDampening, T weightDecay, bool nesterov,
                     bool firstStep, bool maximize) {
  if (maximize) g = -g;
  if (weightDecay != T(0)) g = g + weightDecay * p;
  if (buf) {
    if (firstStep) *buf = g;
    else *buf = momentum * *buf + oneMinusDampening * g;
    g = nesterov ? g + momentum * *buf : *buf;
  }
  p = p - lr * g;
}

}  // namespace scalar
}  // namespace nt
