// Random fill via the shared Philox4x32-10 streams (common/philox.h).
//
// Element i of (seed, offset) uses exactly the numbers philox.h defines:
// Uniform/Int/Bernoulli use bitsAt(seed, offset, i) (lane i%4 of block
// offset + i/4), Normal uses normalAt(seed, offset, i) (block offset + i/2).
// The loops below compute each block once for its 4 (or 2) elements, which
// gives the same values. Work is split on element indices only, so the
// output is identical for any thread count and on the CUDA backend.
//  Uniform  [a, b): float32 a + (b-a)*toUnitFloat (in float), float64 toUnitDouble.
//  Normal   a + b * normalAt (in double, then cast).
//  Int      [a, b) with r = b - a: a + ((uint64)bits * r >> 32) for r <= 2^32,
//           else a + min(r-1, floor(toUnitDouble(bits) * r)).
//  Bernoulli (u < a) ? b : 0 with u as Uniform's (toUnitFloat for float32,
//           toUnitDouble otherwise).
#include <cmath>
#include <string>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define NT_PHILOX_AVX2 1
#endif

#include "common/philox.h"
#include "cpu/kernels_cpu.h"
#include "cpu/loops.h"

namespace nt {
namespace cpu {
namespace {

constexpr int kWideBlocks = 16;
constexpr int64_t kWideElems = 4 * kWideBlocks;

#if NT_PHILOX_AVX2
// philox::block for kWideBlocks consecutive counters, four per vector: each
// 32-bit word sits in the low half of a 64-bit slot, so a round is two
// 32x32->64-bit multiplies, shifts, masks and xors with no lane shuffles;
// four independent groups keep the multiplier busy. About four times the
// rate of one block at a time.
__attribute__((target("avx2"))) void philoxWideAvx2(uint64_t seed, uint64_t counter, uint32_t* bits) {
  constexpr int kGroups = kWideBlocks / 4;
  const __m256i low = _mm256_set1_epi64x(0xFFFFFFFFll);
  const __m256i m0 = _mm256_set1_epi64x(0xD2511F53ll), m1 = _mm256_set1_epi64x(0xCD9E8D57ll);
  const __m256i base = _mm256_set1_epi64x(static_cast<long long>(counter));
  __m256i x[kGroups], y[kGroups], z[kGroups], w[kGroups];
  for (int g = 0; g < kGroups; ++g) {
    const __m256i c = _mm256_add_epi64(base, _mm256_setr_epi64x(4 * g, 4 * g + 1, 4 * g + 2, 4 * g + 3));
    x[g] = _mm256_and_si256(c, low);
    y[g] = _mm256_srli_epi64(c, 32);
    z[g] = _mm256_setzero_si256();
    w[g] = _mm256_setzero_si256();
  }
  uint32_t k0 = uint32_t(seed), k1 = uint32_t(seed >> 32);
  for (int r = 0; r < 10; ++r) {
    const __m256i key0 = _mm256_set1_epi64x(k0), key1 = _mm256_set1_epi64x(k1);
    for (int g = 0; g < kGroups; ++g) {
      const __m256i p0 = _mm256_mul_epu32(x[g], m0);
      const __m256i p1 = _mm256_mul_epu32(z[g], m1);
      x[g] = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(p1, 32), y[g]), key0);
      z[g] = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(p0, 32), w[g]), key1);
      y[g] = _mm256_and_si256(p1, low);
      w[g] = _mm256_and_si256(p0, low);
    }
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  for (int g = 0; g < kGroups; ++g) {
    // Slots (x | y << 32) and (z | w << 32) are a block's two halves in memory order.
    const __m256i xy = _mm256_or_si256(x[g], _mm256_slli_epi64(y[g], 32));
    const __m256i zw = _mm256_or_si256(z[g], _mm256_slli_epi64(w[g], 32));
    const __m256i lo = _mm256_unpacklo_epi64(xy, zw);  // blocks 0 and 2 of the group
    const __m256i hi = _mm256_unpackhi_epi64(xy, zw);  // blocks 1 and 3
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(bits + 16 * g), _mm256_permute2x128_si256(lo, hi, 0x20));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(bits + 16 * g + 8), _mm256_permute2x128_si256(lo, hi, 0x31));
  }
}
#endif

// bits[4 * j + l] = lane l of philox::block(seed, counter + j), j < kWideBlocks.
void philoxWide(uint64_t seed, uint64_t counter, uint32_t* bits) {
#if NT_PHILOX_AVX2
  static const bool avx2 = __builtin_cpu_supports("avx2");
  if (avx2) return philoxWideAvx2(seed, counter, bits);
#endif
  for (int j = 0; j < kWideBlocks; ++j) {
    const philox::U4 b = philox::block(seed, counter + uint64_t(j));
    bits[4 * j] = b.x;
    bits[4 * j + 1] = b.y;
    bits[4 * j + 2] = b.z;
    bits[4 * j + 3] = b.w;
  }
}

// Calls f(i, bits) for i in [lo, hi), one Philox block per 4 elements
// (kWideBlocks blocks at a time where whole ones fit).
template <class F>
void forBits(uint64_t seed, uint64_t offset, int64_t lo, int64_t hi, F&& f) {
  int64_t i = lo;
  auto oneBlock = [&] {
    const philox::U4 b = philox::block(seed, offset + static_cast<uint64_t>(i) / 4);
    const uint32_t lanes[4] = {b.x, b.y, b.z, b.w};
    for (int l = static_cast<int>(i & 3); l < 4 && i < hi; ++l, ++i) f(i, lanes[l]);
  };
  if (i < hi && (i & 3) != 0) oneBlock();  // up to the next block boundary
  uint32_t bits[kWideElems];
  for (; hi - i >= kWideElems; i += kWideElems) {
    philoxWide(seed, offset + static_cast<uint64_t>(i) / 4, bits);
    for (int64_t t = 0; t < kWideElems; ++t) f(i + t, bits[t]);
  }
  while (i < hi) oneBlock();
}

template <class T>
void normalFill(const RandomArgs& a, T* out) {
  parallelFor(0, a.n, kGrain / 8, [&](int64_t lo, int64_t hi) {
    int64_t i = lo;
    if (i & 1) {  // odd start: the pair's other half belongs to another chunk
      out[i] = T(a.a + a.b * philox::normalAt(a.seed, a.offset, i));
      ++i;
    }
    for (; i + 1 < hi; i += 2) {  // same expressions as normalAt, one block per pair
      const philox::U4 b = philox::block(a.seed, a.offset + static_cast<uint64_t>(i) / 2);
      const double u1 = (static_cast<double>(b.x) + 1.0) * (1.0 / 4294967297.0);
      const double u2 = static_cast<double>(b.y) * (1.0 / 4294967296.0);
      const double r = std::sqrt(-2.0 * std::log(u1));
      const double th = 6.283185307179586 * u2;
      out[i] = T(a.a + a.b * (r * std::cos(th)));
      out[i + 1] = T(a.a + a.b * (r * std::sin(th)));
    }
    if (i < hi) out[i] = T(a.a + a.b * philox::normalAt(a.seed, a.offset, i));
  });
}

template <class T>
void randomTyped(const RandomArgs& a, bool toBool) {
  T* out = static_cast<T*>(a.out);
  constexpr bool kFloat = std::is_floating_point_v<T>;
  switch (a.kind) {
    case RandomKind::Uniform:
      if constexpr (kFloat) {
        parallelFor(0, a.n, kGrain / 4, [&](int64_t lo, int64_t hi) {
          if constexpr (std::is_same_v<T, float>) {
            const float lo_ = float(a.a), span = float(a.b - a.a);
            forBits(a.seed, a.offset, lo, hi,
                    [&](int64_t i, uint32_t r) { out[i] = lo_ + span * philox::toUnitFloat(r); });
          } else {
            const double span = a.b - a.a;
            forBits(a.seed, a.offset, lo, hi,
                    [&](int64_t i, uint32_t r) { out[i] = a.a + span * philox::toUnitDouble(r); });
          }
        });
        return;
      }
      break;
    case RandomKind::Normal:
      if constexpr (kFloat) return normalFill<T>(a, out);
      break;
    case RandomKind::Int: {
      if (toBool) break;
      const double lowD = std::ceil(a.a), highD = std::ceil(a.b);
      if (!(lowD < highD) || std::fabs(lowD) > 9.0e18 || std::fabs(highD) > 9.0e18)
        throw Error(ErrorKind::Argument, "random(int): expected finite low < high, got [" + std::to_string(a.a) + ", " +
                                             std::to_string(a.b) + ")");
      const int64_t low = int64_t(lowD);
      const uint64_t range = uint64_t(int64_t(highD) - low);
      parallelFor(0, a.n, kGrain / 4, [&](int64_t lo, int64_t hi) {
        forBits(a.seed, a.offset, lo, hi, [&](int64_t i, uint32_t r) {
          uint64_t k;
          if (range <= (uint64_t(1) << 32)) {
            k = (uint64_t(r) * range) >> 32;
          } else {
            const double f = std::floor(philox::toUnitDouble(r) * double(range));
            k = std::min<uint64_t>(range - 1, uint64_t(f));
          }
          out[i] = castValue<T>(int64_t(uint64_t(low) + k));
        });
      });
      return;
    }
    case RandomKind::Bernoulli: {
      const T value = toBool ? T(a.b != 0.0) : castValue<T>(a.b);
      parallelFor(0, a.n, kGrain / 4, [&](int64_t lo, int64_t hi) {
        if constexpr (std::is_same_v<T, float>) {
          const float p = float(a.a);
          forBits(a.seed, a.offset, lo, hi,
                  [&](int64_t i, uint32_t r) { out[i] = philox::toUnitFloat(r) < p ? value : T(0); });
        } else {
          forBits(a.seed, a.offset, lo, hi,
                  [&](int64_t i, uint32_t r) { out[i] = philox::toUnitDouble(r) < a.a ? value : T(0); });
        }
      });
      return;
    }
    default: throw Error(ErrorKind::Argument, "random: unknown kind " + std::to_string(int(a.kind)));
  }
  throw Error(ErrorKind::DType, std::string("random: expected a ") +
                                    (a.kind == RandomKind::Int ? "numeric" : "float32 or float64") + " dtype, got " +
                                    dtypeName(a.dtype));
}

}  // namespace

void random(const RandomArgs& a) {
  if (a.n <= 0) return;
  const bool toBool = a.dtype == DType::Bool;
  NT_DISPATCH_ALL(a.dtype, [&] { randomTyped<T>(a, toBool); });
}

}  // namespace cpu
}  // namespace nt
