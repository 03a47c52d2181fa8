// Element conversion with defined results, shared by the CPU and CUDA
// kernels: float -> integer saturates (NaN -> 0); everything else is a plain
// static_cast (int -> int wraps like a two's complement cast).
#pragma once
#include <limits>
#include <type_traits>

#include "hd.h"

namespace nt {

template <typename To, typename From>
NT_HD To castValue(From v) {
  if constexpr (std::is_floating_point<From>::value && std::is_integral<To>::value) {
    if (!(v == v)) return To(0);
    if (v <= static_cast<From>(std::numeric_limits<To>::min())) return std::numeric_limits<To>::min();
    if (v >= static_cast<From>(std::numeric_limits<To>::max())) return std::numeric_limits<To>::max();
    return static_cast<To>(v);
  } else {
    return static_cast<To>(v);
  }
}

}  // namespace nt
