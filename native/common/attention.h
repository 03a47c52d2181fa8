// What the CPU and CUDA attention kernels (cpu/attention.cpp,
// cuda/attention.cu) share: the dropout keep decision, a pure function of
// (seed, offset, element) so the backward regenerates the forward's mask on
// any device, and the masked score of one (query, key) pair.
#pragma once
#include <cmath>
#include <cstdint>

#include "hd.h"
#include "philox.h"
#include "tensor_view.h"

namespace nt {
namespace attention {

// Scale of the attention weight whose Philox bits are `bits`: 0 when dropped
// (probability p), else 1 / (1 - p). Compared in double so float32 and
// float64 calls, and both devices, drop the same elements.
NT_HD double keepScale(uint32_t bits, double p) { return philox::toUnitDouble(bits) < p ? 0.0 : 1.0 / (1.0 - p); }

// The scale of element e = (bh * L + i) * S + j: bits philox::bitsAt(seed,
// offset, e), 1 when p is 0.
NT_HD double dropScale(uint64_t seed, uint64_t offset, int64_t e, double p) {
  return p <= 0 ? 1.0 : keepScale(philox::bitsAt(seed, offset, e), p);
}

// The additive mask's row (bh, i), element j at [j * strides[3]], or
// nullptr without a mask; the operand is over [B1, B2, L, S] with
// bh = b1 * B2 + b2.
template <class T, class Args>
NT_HD const T* maskRow(const Args& a, int64_t bh, int64_t i) {
  const Operand& m = a.mask;
  if (!m.data) return nullptr;
  const int64_t b2 = a.maskShape.sizes[1];
  return static_cast<const T*>(m.data) + (bh / b2) * m.strides[0] + (bh % b2) * m.strides[1] + i * m.strides[2];
}

template <class T, class Args>
NT_HD T maskAt(const Args& a, int64_t bh, int64_t i, int64_t j) {
  const T* row = maskRow<T>(a, bh, i);
  return row ? row[j * a.mask.strides[3]] : T(0);
}

}  // namespace attention
}  // namespace nt
