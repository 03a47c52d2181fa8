// The pooling outputs whose window reaches one input position, shared by the
// CUDA backward kernels that gather per input element (max and average
// pooling): o * s - p + j * d == i for some tap j in [0, k), i.e. o in
// [ceil((i + p - (k - 1) * d) / s), floor((i + p) / s)], clipped to [0, no).
#pragma once

#include <cstdint>

#include "common/hd.h"

namespace nt {

NT_HD void poolReachingRange(int64_t i, int64_t no, int64_t k, int64_t s, int64_t p, int64_t d, int64_t* lo,
                             int64_t* hi) {
  const int64_t a = i + p - (k - 1) * d;
  const int64_t l = a <= 0 ? 0 : (a + s - 1) / s;
  const int64_t h = (i + p) / s + 1;
  *lo = l < no ? l : no;
  *hi = h < no ? h : no;
  if (*hi < *lo) *hi = *lo;
}

}  // namespace nt
