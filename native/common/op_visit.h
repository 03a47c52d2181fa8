// visitOp<E>(op, f): calls f(std::integral_constant<E, op>{}) for a run-time
// op code, so code written once as a template over the op (a CPU loop, a
// CUDA kernel body) gets each op's formula as a compile-time type. The cases
// come from E::Count, not from a hand list: a new enum entry is visited as
// soon as it exists. A binary search over [0, Count) (log2(Count) compares),
// usable on host and device. `op` must already be checked to be in range.
#pragma once
#include <type_traits>

#include "hd.h"

namespace nt {

template <typename E, int Lo, int Hi, typename F>
NT_HD void visitOpRange(int v, F&& f) {
  if constexpr (Hi - Lo == 1) {
    f(std::integral_constant<E, static_cast<E>(Lo)>{});
  } else {
    constexpr int kMid = (Lo + Hi) / 2;
    if (v < kMid) visitOpRange<E, Lo, kMid>(v, f);
    else visitOpRange<E, kMid, Hi>(v, f);
  }
}

template <typename E, typename F>
NT_HD void visitOp(E op, F&& f) {
  visitOpRange<E, 0, static_cast<int>(E::Count)>(static_cast<int>(op), f);
}

template <typename E>
inline bool opInRange(E op) {
  return static_cast<int>(op) >= 0 && static_cast<int>(op) < static_cast<int>(E::Count);
}

}  // namespace nt
