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

#include "common/philox.h"
#include "cpu/kernels_cpu.h"
#include "cpu/loops.h"

namespace nt {
namespace cpu {
namespace {

// Calls f(i, bits) for i in [lo, hi), one Philox block per 4 elements.
template <class F>
void forBits(uint64_t seed, uint64_t offset, int64_t lo, int64_t hi, F&& f) {
  int64_t i = lo;
  while (i < hi) {
    const philox::U4 b = philox::block(seed, offset + static_cast<uint64_t>(i) / 4);
    const uint32_t lanes[4] = {b.x, b.y, b.z, b.w};
    for (int l = static_cast<int>(i & 3); l < 4 && i < hi; ++l, ++i) f(i, lanes[l]);
  }
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
