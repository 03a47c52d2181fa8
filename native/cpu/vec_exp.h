// exp for float32 written so GCC vectorizes loops that call it (libm's expf
// is an opaque call: ~5 ns per element, which kept the fused cross-entropy
// at ~5% of memory bandwidth). Cephes' method: x = n*ln2 + r with
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
// width. No FMA contraction (-std=c++17 implies -ffp-contract=off) and a
// fixed lane count keep the results bit-identical across the copies.
#pragma once
#include <cstdint>
#include <cstring>

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

namespace nt {
namespace cpu {

NT_ALWAYS_INLINE float expVec(float x) {
  // NaN is replaced before the integer conversion below (converting NaN to
  // int is undefined); the NaN itself is returned at the end.
  const float xn = x != x ? 0.0f : x;
  const float xc = xn < -104.0f ? -104.0f : (xn > 89.0f ? 89.0f : xn);
  // Round to nearest by the 1.5*2^23 trick (no SSE4.1 round needed).
  const float magic = 12582912.0f;
  const float nf = (xc * 1.44269504088896341f + magic) - magic;
  float r = xc - nf * 0.693359375f;
  r = r - nf * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const int32_t n = static_cast<int32_t>(nf);  // in [-150, 128]
  const int32_t n1 = n >> 1, n2 = n - n1;      // each in [-75, 64]: normal powers of 2
  const int32_t b1 = (n1 + 127) << 23, b2 = (n2 + 127) << 23;
  float s1, s2;
  std::memcpy(&s1, &b1, sizeof s1);
  std::memcpy(&s2, &b2, sizeof s2);
  const float y = (p * s1) * s2;
  return x != x ? x : (x < -104.0f ? 0.0f : y);
}

template <class T>
inline T expAny(T x);
template <>
NT_ALWAYS_INLINE float expAny<float>(float x) { return expVec(x); }
template <>
NT_ALWAYS_INLINE double expAny<double>(double x) { return __builtin_exp(x); }

constexpr int kLanes = 8;

// max over x[0..n), n >= 1. NaN-propagation is not needed by the callers:
// a NaN input reaches the exp pass and poisons the row's sum.
template <class T>
NT_ALWAYS_INLINE T rowMax(const T* __restrict x, int64_t n) {
  int64_t j = 0;
  T m = x[0];
#if defined(__GNUC__) && !defined(__clang__)
  // GCC does not vectorize a max reduction without -ffinite-math-only; a
  // generic vector of kLanes does it (split into what the ISA has).
  typedef T Vec __attribute__((vector_size(kLanes * sizeof(T))));
  if (n >= kLanes) {
    Vec acc;
    std::memcpy(&acc, x, sizeof acc);
    for (j = kLanes; j + kLanes <= n; j += kLanes) {
      Vec v;
      std::memcpy(&v, x + j, sizeof v);
      acc = v > acc ? v : acc;
    }
    for (int k = 0; k < kLanes; ++k) m = acc[k] > m ? acc[k] : m;
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

// y[j] = exp(x[j] - m); returns the sum in double.
template <class T>
NT_ALWAYS_INLINE double expShiftSum(T* __restrict y, const T* __restrict x, T m, int64_t n) {
  for (int64_t j = 0; j < n; ++j) y[j] = expAny<T>(x[j] - m);
  return rowSum(y, n);
}

// sum of exp(x[j] - m) without storing it (chunks through a stack buffer).
template <class T>
NT_ALWAYS_INLINE double expShiftSumNoStore(const T* __restrict x, T m, int64_t n) {
  constexpr int64_t kChunk = 512;
  alignas(64) T buf[kChunk];
  double s = 0.0;
  for (int64_t j = 0; j < n; j += kChunk) {
    const int64_t len = n - j < kChunk ? n - j : kChunk;
    s += expShiftSum(buf, x + j, m, len);
  }
  return s;
}

}  // namespace cpu
}  // namespace nt
