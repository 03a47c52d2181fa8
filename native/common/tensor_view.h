// What a backend sees of a tensor: sizes and element strides, no storage.
#pragma once
#include <cstdint>

#include "codes.gen.h"

namespace nt {

constexpr int kMaxDims = 8;

// A strided operand: `data` already points at element [0,...,0] (offset
// applied); strides are in elements, may be 0 (broadcast), never negative.
struct Operand {
  void* data = nullptr;
  DType dtype = DType::Float32;
  int64_t strides[kMaxDims] = {0};
};

struct Shape {
  int ndim = 0;
  int64_t sizes[kMaxDims] = {0};
  int64_t numel() const {
    int64_t n = 1;
    for (int i = 0; i < ndim; ++i) n *= sizes[i];
    return n;
  }
};

}  // namespace nt
