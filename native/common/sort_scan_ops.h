// Formulas shared by the CPU and CUDA sort / top-k and multinomial kernels,
// written once so both backends give identical results.
//  sortsBefore: the total order of a sorted row. NaN counts as the largest
//    value (PyTorch's rule), equal values (NaNs among themselves, -0 and +0)
//    keep input order, so every sort is stable and its result unique.
//  drawCategory: inverse-CDF draw of one category from non-negative weights:
//    the first c whose running sum (in double, from c = 0) exceeds u * total.
//    Only additions, one product and comparisons: no transcendental whose
//    last bit could differ between devices.
#pragma once
#include <cstdint>

#include "hd.h"

namespace nt {
namespace sortscan {

// a > b with NaN largest (for integers, `x != x` is always false).
template <class T>
NT_HD bool greaterNan(T a, T b) {
  return (a != a) ? !(b != b) : a > b;
}

// Whether element (a at index i) comes before (b at index j) in the sorted row.
template <class T>
NT_HD bool sortsBefore(T a, int64_t i, T b, int64_t j, bool descending) {
  if (descending ? greaterNan(a, b) : greaterNan(b, a)) return true;
  if (descending ? greaterNan(b, a) : greaterNan(a, b)) return false;
  return i < j;  // equal: input order
}

// Sum of a row of weights, in double, in index order.
template <class T>
NT_HD double rowTotal(const T* w, int64_t cats) {
  double total = 0;
  for (int64_t c = 0; c < cats; ++c) total += static_cast<double>(w[c]);
  return total;
}

// The category for uniform u in [0, 1) given the row's total. The chosen
// weight is always positive (the running sum grew past the target there).
// With rounding leaving no sum above the target, the last positive weight
// is taken; a row without one gives 0 (the ops check rows before launching).
template <class T>
NT_HD int64_t drawCategory(const T* w, int64_t cats, double total, double u) {
  const double target = u * total;
  double acc = 0;
  int64_t lastPositive = 0;
  for (int64_t c = 0; c < cats; ++c) {
    const double v = static_cast<double>(w[c]);
    acc += v;
    if (v > 0) {
      lastPositive = c;
      if (acc > target) return c;
    }
  }
  return lastPositive;
}

}  // namespace sortscan
}  // namespace nt
