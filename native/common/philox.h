// Philox4x32-10 counter-based generator (Salmon et al., SC'11), shared by the
// CPU and CUDA random kernels: element i of a stream (seed, offset) uses
// counter block (offset + i / 4), lane i % 4, so any device and any thread
// split produce the same numbers.
#pragma once
#include <cmath>
#include <cstdint>

#include "hd.h"

namespace nt {
namespace philox {

struct U4 {
  uint32_t x, y, z, w;
};

NT_HD uint32_t mulhilo(uint32_t a, uint32_t b, uint32_t* hi) {
  const uint64_t p = static_cast<uint64_t>(a) * b;
  *hi = static_cast<uint32_t>(p >> 32);
  return static_cast<uint32_t>(p);
}

NT_HD U4 block(uint64_t seed, uint64_t counter) {
  U4 c{static_cast<uint32_t>(counter), static_cast<uint32_t>(counter >> 32), 0u, 0u};
  uint32_t k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
  for (int r = 0; r < 10; ++r) {
    uint32_t hi0, hi1;
    const uint32_t lo0 = mulhilo(0xD2511F53u, c.x, &hi0);
    const uint32_t lo1 = mulhilo(0xCD9E8D57u, c.z, &hi1);
    c = U4{hi1 ^ c.y ^ k0, lo1, hi0 ^ c.w ^ k1, lo0};
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  return c;
}

NT_HD uint32_t lane(const U4& v, int i) { return i == 0 ? v.x : i == 1 ? v.y : i == 2 ? v.z : v.w; }

// Uniform in [0, 1) with 24 (float) or 32 bits of randomness.
NT_HD float toUnitFloat(uint32_t r) { return static_cast<float>(r >> 8) * (1.0f / 16777216.0f); }
NT_HD double toUnitDouble(uint32_t r) { return static_cast<double>(r) * (1.0 / 4294967296.0); }

// Standard normal for element i from two uniforms of the same block (Box-Muller).
// Element i uses lanes (2k, 2k+1) of block (offset + i/2) so each block gives two normals.
NT_HD double normalAt(uint64_t seed, uint64_t offset, int64_t i) {
  const U4 b = block(seed, offset + static_cast<uint64_t>(i) / 2);
  const double u1 = (static_cast<double>(b.x) + 1.0) * (1.0 / 4294967297.0);  // (0,1]
  const double u2 = static_cast<double>(b.y) * (1.0 / 4294967296.0);
  const double r = sqrt(-2.0 * log(u1));
  const double th = 6.283185307179586 * u2;
  return (i & 1) ? r * sin(th) : r * cos(th);
}

NT_HD uint32_t bitsAt(uint64_t seed, uint64_t offset, int64_t i) {
  return lane(block(seed, offset + static_cast<uint64_t>(i) / 4), static_cast<int>(i & 3));
}

// Number of counter blocks a stream of n elements consumes (the caller
// advances its offset by this much so successive calls never overlap).
NT_HD uint64_t blocksFor(int64_t n) { return static_cast<uint64_t>((n + 1) / 2); }

}  // namespace philox
}  // namespace nt
