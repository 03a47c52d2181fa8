// Merging of contiguous dims for strided N-operand iterations, shared by the
// CPU loops (cpu/loops.h) and the CUDA launch prep (cuda/device_utils.cuh),
// so kernels accept any layout the caller sends (size-1 dims, split
// contiguous dims) and still run a contiguous tensor as one flat run.
#pragma once
#include <cstdint>
#include <string>
#include <utility>

#include "errors.h"
#include "kernel_api.h"

namespace nt {

// Row-major result: dim ndim-1 is the innermost. ndim >= 1 always; an
// empty iteration is one dim of size 0, a single element one dim of size 1,
// both with stride 0. Strides keep the caller's unit.
template <int N>
struct Coalesced {
  int ndim = 1;
  int64_t numel = 0;
  int64_t sizes[kMaxDims] = {0};
  int64_t strides[N][kMaxDims] = {};
};

// Drops size-1 dims and merges neighbours d, d+1 where every operand has
// stride[d] == stride[d+1] * size[d+1]. strides[k] has shape.ndim entries.
template <int N>
Coalesced<N> coalesce(const Shape& shape, const int64_t* const* strides) {
  if (shape.ndim < 0 || shape.ndim > kMaxDims)
    throw Error(ErrorKind::Shape,
                "coalesce: expected 0 to " + std::to_string(kMaxDims) + " dims, got " + std::to_string(shape.ndim));
  Coalesced<N> c;
  c.numel = 1;
  for (int d = 0; d < shape.ndim; ++d) {
    if (shape.sizes[d] < 0)
      throw Error(ErrorKind::Shape, "coalesce: expected sizes >= 0, got " + std::to_string(shape.sizes[d]));
    c.numel *= shape.sizes[d];
  }
  if (c.numel <= 1) {
    c.sizes[0] = c.numel;
    return c;
  }
  // Built innermost first (index 0), then reversed.
  int nd = 0;
  for (int d = shape.ndim - 1; d >= 0; --d) {
    const int64_t sz = shape.sizes[d];
    if (sz == 1) continue;
    bool merge = nd > 0;
    for (int k = 0; k < N && merge; ++k) merge = strides[k][d] == c.strides[k][nd - 1] * c.sizes[nd - 1];
    if (merge) {
      c.sizes[nd - 1] *= sz;
      continue;
    }
    c.sizes[nd] = sz;
    for (int k = 0; k < N; ++k) c.strides[k][nd] = strides[k][d];
    ++nd;
  }
  c.ndim = nd;
  for (int i = 0, j = nd - 1; i < j; ++i, --j) {
    std::swap(c.sizes[i], c.sizes[j]);
    for (int k = 0; k < N; ++k) std::swap(c.strides[k][i], c.strides[k][j]);
  }
  return c;
}

}  // namespace nt
