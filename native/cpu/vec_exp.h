// exp for float32 written so GCC vectorizes loops that call it (libm's expf
// is an opaque call, one element at a time, far slower than the memory
// traffic of a softmax row). Cephes' method: x = n*ln2 + r with
// |r| <= ln2/2 (Cody-Waite split of ln2), exp(r) by a degree-6 polynomial,
// then * 2^n. 2^n is applied as two factors 2^(n/2) * 2^(n - n/2) so that
// results in the subnormal range and overflow to +inf come out right.
// Max error ~1.5 ulp over the whole float range (checked against double
// exp); exp(-inf) = 0, exp(+inf) = inf, exp(NaN) = NaN.
//
// Row helpers for softmax-like kernels live here too: they keep per-lane
// accumulators so the reductions vectorize without -ffast-math. They are
// force-inlined so that a row kernel marked NT_VEC_CLONES (one copy per ISA:
// AVX-512, AVX2, baseline; picked at load time) vectorizes them at its
// width. A fixed lane count keeps the summation order the same in every
// copy; GCC contracts a*b+c into FMA in C++ by default, so the baseline copy
// (no FMA) can differ from the AVX2/AVX-512 ones in the last ulp. Each
// machine always runs the same copy, so results are reproducible on it.
#pragma once
#include <cstdint>
#include <cstring>
#include <type_traits>

#if defined(__GNUC__)
#define NT_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define NT_ALWAYS_INLINE inline
#endif

#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__) && !defined(__clang__)
#define NT_VEC_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define NT_VEC_CLONES
#endif

// GCC's generic vectors (with the vector ?: of C++) make the row loops below
// vectorize at the width of each ISA copy; other compilers get the same
// arithmetic in the same order through a lane array.
#if !defined(NT_GNU_VECTORS) && defined(__GNUC__) && !defined(__clang__)
#define NT_GNU_VECTORS 1
#endif
#if NT_GNU_VECTORS
#pragma GCC diagnostic ignored "-Wpsabi"  // the vector helpers are always inlined
#endif

namespace nt {
namespace cpu {

#if NT_GNU_VECTORS
typedef float VecF __attribute__((vector_size(64)));  // 16 floats
typedef uint32_t VecU __attribute__((vector_size(64)));
typedef float VecF8 __attribute__((vector_size(32)));
typedef float VecF4 __attribute__((vector_size(16)));
#endif

// Sum of 16 float lanes as a tree (lane k + lane k+8, then k + k+4, ...):
// short dependency chains, and the same order for vectors and lane arrays.
NT_ALWAYS_INLINE float sum16(const float* lanes) {
#if NT_GNU_VECTORS
  VecF8 a, b;
  std::memcpy(&a, lanes, sizeof a);
  std::memcpy(&b, lanes + 8, sizeof b);
  const VecF8 c = a + b;
  VecF4 d, e;
  std::memcpy(&d, &c, sizeof d);
  std::memcpy(&e, reinterpret_cast<const char*>(&c) + sizeof d, sizeof e);
  const VecF4 f = d + e;
  return (f[0] + f[2]) + (f[1] + f[3]);
#else
  float c[8], f[4];
  for (int k = 0; k < 8; ++k) c[k] = lanes[k] + lanes[k + 8];
  for (int k = 0; k < 4; ++k) f[k] = c[k] + c[k + 4];
  return (f[0] + f[2]) + (f[1] + f[3]);
#endif
}

// exp(x - n*ln2) for n = nf = round(x / ln2): Cody-Waite reduction (ln2 in
// two parts, so r is exact enough) and Cephes' degree-6 polynomial on
// |r| <= ln2/2. Shared by both exps below, for scalars and GCC vectors.
template <class F>
NT_ALWAYS_INLINE F expReduced(const F& x, const F& nf) {
  F r = x - nf * 0.693359375f;
  r = r - nf * -2.12194440e-4f;
  F p = F{} + 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  return p * r * r + r + 1.0f;
}

NT_ALWAYS_INLINE float expVec(float x) {
  // NaN is replaced before the integer conversion below (converting NaN to
  // int is undefined); the NaN itself is returned at the end.
  const float xn = x != x ? 0.0f : x;
  const float xc = xn < -104.0f ? -104.0f : (xn > 89.0f ? 89.0f : xn);
  // Round to nearest by the 1.5*2^23 trick (no SSE4.1 round needed).
  const float magic = 12582912.0f;
  const float nf = (xc * 1.44269504088896341f + magic) - magic;
  const float p = expReduced(xc, nf);
  const int32_t n = static_cast<int32_t>(nf);  // in [-150, 128]
  const int32_t n1 = n >> 1, n2 = n - n1;      // each in [-75, 64]: normal powers of 2
  const int32_t b1 = (n1 + 127) << 23, b2 = (n2 + 127) << 23;
  float s1, s2;
  std::memcpy(&s1, &b1, sizeof s1);
  std::memcpy(&s2, &b2, sizeof s2);
  const float y = (p * s1) * s2;
  return x != x ? x : (x < -104.0f ? 0.0f : y);
}

// exp(x) for x <= 0, or NaN: the softmax case, x = value - row max. Needs
// no overflow handling, and takes the power of two from the bits of the
// rounded value instead of a float->int conversion (so NaN lanes are
// harmless). 2^n is applied as 2^(n+24) * 2^-24: the first factor is always
// a normal float, the second rounds once into the subnormal range, so
// results match expVec, subnormals included. Written for both scalars
// (F = float, U = uint32_t) and GCC vectors (VecF, VecU) so row tails compute
// exactly what the vector body does.
template <class F, class U>
NT_ALWAYS_INLINE F expNonPos(const F& x) {
  // Below -104 (exp rounds to 0 there) the bits computed are garbage, -inf
  // included, and the final select replaces them: no clamp needed.
  const float magic = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
  const F t = x * 1.44269504088896341f + magic;
  const F nf = t - magic;  // n = round(x / ln2), in [-150, 0] for x in [-104, 0]
  const F p = expReduced(x, nf);
  U bits;                               // unsigned: the shift is defined for every bit pattern
  std::memcpy(&bits, &t, sizeof bits);  // the low mantissa bits of t hold n
  const U sbits = (bits + 151u) << 23;  // exponent field n + 24 + 127, in [1, 151]
  F scale;
  std::memcpy(&scale, &sbits, sizeof scale);
  const F y = (p * scale) * 5.9604644775390625e-8f;  // * 2^-24
  return x < -104.0f ? F{} : y;
}

// sum of exp(x[j] - m) over x[0..n); the exps are also stored to y when
// kStore. One pass: each element is loaded once and its exp computed once.
// 16 float lanes sum blocks of 256 elements (16 terms per lane, each in
// [0, 1], then a 4-level tree: relative error <= 20 ulp per block), and the
// blocks add up in double, in a fixed order in every ISA copy.
template <bool kStore>
NT_ALWAYS_INLINE double expShiftSumF32(float* __restrict y, const float* __restrict x, float m, int64_t n) {
  constexpr int64_t kBlock = 256;
  double s = 0.0;
  int64_t j = 0;
  while (j + 16 <= n) {
    const int64_t end = j + kBlock < n ? j + kBlock : n;
#if NT_GNU_VECTORS
    VecF acc = {};
    for (; j + 16 <= end; j += 16) {
      VecF v;
      std::memcpy(&v, x + j, sizeof v);
      const VecF e = expNonPos<VecF, VecU>(v - m);
      if (kStore) std::memcpy(y + j, &e, sizeof e);
      acc += e;
    }
#else
    float acc[16] = {};
    for (; j + 16 <= end; j += 16) {
      for (int k = 0; k < 16; ++k) {
        const float e = expNonPos<float, uint32_t>(x[j + k] - m);
        if (kStore) y[j + k] = e;
        acc[k] += e;
      }
    }
#endif
    float lanes[16];
    std::memcpy(lanes, &acc, sizeof lanes);
    s += double(sum16(lanes));
  }
  for (; j < n; ++j) {
    const float e = expNonPos<float, uint32_t>(x[j] - m);
    if (kStore) y[j] = e;
    s += double(e);
  }
  return s;
}

template <class T>
inline T expAny(T x);
template <>
NT_ALWAYS_INLINE float expAny<float>(float x) {
  return expVec(x);
}
template <>
NT_ALWAYS_INLINE double expAny<double>(double x) {
  return __builtin_exp(x);
}

constexpr int kLanes = 8;

// max over x[0..n), n >= 1. NaN-propagation is not needed by the callers:
// a NaN input reaches the exp pass and poisons the row's sum.
template <class T>
NT_ALWAYS_INLINE T rowMax(const T* __restrict x, int64_t n) {
  int64_t j = 0;
  T m = x[0];
#if NT_GNU_VECTORS
  // GCC does not vectorize a max reduction without -ffinite-math-only;
  // generic vectors do it (split into what the ISA has). Two accumulators of
  // 64 bytes: max is exact, so lane count and order do not change the
  // result, only how many compares are in flight.
  constexpr int kW = 64 / sizeof(T);
  typedef T Vec __attribute__((vector_size(64)));
  if (n >= 2 * kW) {
    Vec a0, a1;
    std::memcpy(&a0, x, sizeof a0);
    std::memcpy(&a1, x + kW, sizeof a1);
    for (j = 2 * kW; j + 2 * kW <= n; j += 2 * kW) {
      Vec v0, v1;
      std::memcpy(&v0, x + j, sizeof v0);
      std::memcpy(&v1, x + j + kW, sizeof v1);
      a0 = v0 > a0 ? v0 : a0;
      a1 = v1 > a1 ? v1 : a1;
    }
    a0 = a1 > a0 ? a1 : a0;
    for (int k = 0; k < kW; ++k) m = a0[k] > m ? a0[k] : m;
  }
#else
  T lane[kLanes];
  for (int k = 0; k < kLanes; ++k) lane[k] = x[0];
  for (; j + kLanes <= n; j += kLanes)
    for (int k = 0; k < kLanes; ++k) lane[k] = x[j + k] > lane[k] ? x[j + k] : lane[k];
  for (int k = 0; k < kLanes; ++k) m = lane[k] > m ? lane[k] : m;
#endif
  for (; j < n; ++j) m = x[j] > m ? x[j] : m;
  return m;
}

// sum of x[0..n) accumulated in double, kLanes partial sums.
template <class T>
NT_ALWAYS_INLINE double rowSum(const T* __restrict x, int64_t n) {
  double lane[kLanes] = {0};
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes)
    for (int k = 0; k < kLanes; ++k) lane[k] += double(x[j + k]);
  double s = 0.0;
  for (int k = 0; k < kLanes; ++k) s += lane[k];
  for (; j < n; ++j) s += double(x[j]);
  return s;
}

// y[j] = exp(x[j] - m) for m = max(x); returns the sum in double.
template <class T>
NT_ALWAYS_INLINE double expShiftSum(T* __restrict y, const T* __restrict x, T m, int64_t n) {
  if constexpr (std::is_same_v<T, float>) {
    return expShiftSumF32<true>(y, x, m, n);
  } else {
    for (int64_t j = 0; j < n; ++j) y[j] = expAny<T>(x[j] - m);
    return rowSum(y, n);
  }
}

// sum of exp(x[j] - m) for m = max(x), without storing the exps.
template <class T>
NT_ALWAYS_INLINE double expShiftSumNoStore(const T* __restrict x, T m, int64_t n) {
  if constexpr (std::is_same_v<T, float>) {
    return expShiftSumF32<false>(nullptr, x, m, n);
  } else {
    double s = 0.0;
    for (int64_t j = 0; j < n; ++j) s += double(expAny<T>(x[j] - m));
    return s;
  }
}

}  // namespace cpu
}  // namespace nt
