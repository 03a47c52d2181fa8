// Per-element formulas of the adaptive optimizers Adagrad, Adamax, NAdam and
// RAdam, shared by the CPU loops (cpu/optim_adaptive.cpp) and the CUDA
// multi-tensor kernels (cuda/optim_adaptive.cu). Each follows the order of
// operations of PyTorch 1.13's _single_tensor_* path. Every step-dependent
// scalar arrives in double; the *Coeffs builders (host only) form 1 - beta
// and the like in double and round each once to T, as PyTorch passes Python
// floats (issue 14 item 1).
#pragma once
#include <cmath>

#include "hd.h"

namespace nt {
namespace scalar {

#ifndef __CUDACC__
using std::fabs;
using std::sqrt;
#endif

// max that propagates NaN from either side, as torch.amax / maximum do.
template <typename T>
NT_HD T maxNan(T a, T b) {
  if (a != a) return a;
  if (b != b) return b;
  return a > b ? a : b;
}

// grad, negated when maximizing, plus weightDecay * p (L2) when wd != 0.
template <typename T>
NT_HD T decayedGrad(T g, T p, T weightDecay, bool wd, bool maximize) {
  if (maximize) g = -g;
  return wd ? g + weightDecay * p : g;
}

// ---- Adagrad: sum += g*g; p += -clr * (g / (sqrt(sum) + eps)) ----------------
template <typename T>
struct AdagradCoeffs {
  T negClr, eps, weightDecay;
};
template <typename T>
inline AdagradCoeffs<T> adagradCoeffs(double clr, double eps, double weightDecay) {
  return {T(-clr), T(eps), T(weightDecay)};
}
template <typename T>
NT_HD void adagradUpdate(T& p, T g, T& sum, const AdagradCoeffs<T>& c, bool wd, bool maximize) {
  g = decayedGrad(g, p, c.weightDecay, wd, maximize);
  sum = sum + g * g;
  p = p + c.negClr * (g / (sqrt(sum) + c.eps));
}

// ---- Adamax: m = b1 m + (1-b1) g; u = max(b2 u, |g| + eps); p += -clr * (m / u) --
template <typename T>
struct AdamaxCoeffs {
  T beta1, oneMinusBeta1, beta2, eps, weightDecay, negClr;
};
template <typename T>
inline AdamaxCoeffs<T> adamaxCoeffs(double beta1, double beta2, double eps, double weightDecay, double clr) {
  return {T(beta1), T(1.0 - beta1), T(beta2), T(eps), T(weightDecay), T(-clr)};
}
template <typename T>
NT_HD void adamaxUpdate(T& p, T g, T& m, T& u, const AdamaxCoeffs<T>& c, bool wd, bool maximize) {
  g = decayedGrad(g, p, c.weightDecay, wd, maximize);
  m = c.beta1 * m + c.oneMinusBeta1 * g;
  u = maxNan(c.beta2 * u, fabs(g) + c.eps);
  p = p + c.negClr * (m / u);
}

// ---- NAdam (PyTorch 1.13): d = sqrt(v / bc2) + eps; p += -gradCoeff * (g / d);
// p += -avgCoeff * (m / d). gradCoeff = lr (1 - mu_t) / (1 - prod mu), avgCoeff
// = lr mu_{t+1} / (1 - prod' mu), both from the host. ----------------------------
template <typename T>
struct NadamCoeffs {
  T beta1, oneMinusBeta1, beta2, oneMinusBeta2, eps, weightDecay, bc2, negGradCoeff, negAvgCoeff;
};
template <typename T>
inline NadamCoeffs<T> nadamCoeffs(double beta1, double beta2, double eps, double weightDecay, double bc2,
                                  double gradCoeff, double avgCoeff) {
  return {T(beta1),       T(1.0 - beta1), T(beta2),      T(1.0 - beta2), T(eps),
          T(weightDecay), T(bc2),         T(-gradCoeff), T(-avgCoeff)};
}
template <typename T>
NT_HD void nadamUpdate(T& p, T g, T& m, T& v, const NadamCoeffs<T>& c, bool wd) {
  g = decayedGrad(g, p, c.weightDecay, wd, false);
  m = c.beta1 * m + c.oneMinusBeta1 * g;
  v = c.beta2 * v + c.oneMinusBeta2 * g * g;
  const T d = sqrt(v / c.bc2) + c.eps;
  p = p + c.negGradCoeff * (g / d);
  p = p + c.negAvgCoeff * (m / d);
}

// ---- RAdam: rectified p -= stepSize * m / (sqrt(v) + eps) with stepSize =
// lr rect sqrt(bc2) / bc1; otherwise p -= stepSize * m with lr / bc1. --------------
template <typename T>
struct RadamCoeffs {
  T beta1, oneMinusBeta1, beta2, oneMinusBeta2, eps, weightDecay, stepSize;
};
template <typename T>
inline RadamCoeffs<T> radamCoeffs(double beta1, double beta2, double eps, double weightDecay, double stepSize) {
  return {T(beta1), T(1.0 - beta1), T(beta2), T(1.0 - beta2), T(eps), T(weightDecay), T(stepSize)};
}
template <typename T>
NT_HD void radamUpdate(T& p, T g, T& m, T& v, const RadamCoeffs<T>& c, bool wd, bool rectified) {
  g = decayedGrad(g, p, c.weightDecay, wd, false);
  m = c.beta1 * m + c.oneMinusBeta1 * g;
  v = c.beta2 * v + c.oneMinusBeta2 * g * g;
  p = rectified ? p - c.stepSize * (m / (sqrt(v) + c.eps)) : p - c.stepSize * m;
}

}  // namespace scalar
}  // namespace nt
