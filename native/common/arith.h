// Scalar arithmetic with one defined result on every backend, for the
// formulas of elementwise_ops.h (host and device code).
//
// Integers wrap (signed overflow is undefined in C++, so the arithmetic is
// done unsigned); integer x / 0 == 0 and INT_MIN / -1 == INT_MIN (no trap).
//
// mulRn / addRn / subRn round every operation on its own. nvcc contracts
// a * b + c into one FMA (rounded once) and the CPU build does not, so a
// formula with a product feeding a sum would differ between CPU and CUDA in
// the last bit; writing it with these keeps the bits equal. On the host they
// are plain operations: the CPU file that runs them (cpu/elementwise.cpp)
// turns contraction off.
#pragma once
#include <type_traits>

#include "hd.h"

namespace nt {
namespace scalar {

template <typename T>
NT_HD T wrapAdd(T a, T b) {
  if constexpr (std::is_integral<T>::value) {
    using U = typename std::make_unsigned<T>::type;
    return T(U(U(a) + U(b)));
  } else return a + b;
}
template <typename T>
NT_HD T wrapSub(T a, T b) {
  if constexpr (std::is_integral<T>::value) {
    using U = typename std::make_unsigned<T>::type;
    return T(U(U(a) - U(b)));
  } else return a - b;
}
template <typename T>
NT_HD T wrapMul(T a, T b) {
  if constexpr (std::is_integral<T>::value) {
    // uint8/int32 promote to int before multiplying: widen to unsigned first.
    using U =
        typename std::conditional<(sizeof(T) < sizeof(unsigned)), unsigned, typename std::make_unsigned<T>::type>::type;
    return T(U(U(a) * U(b)));
  } else {
    return a * b;
  }
}

template <typename T>
NT_HD T intDiv(T x, T y) {
  if (y == T(0)) return T(0);
  if constexpr (std::is_signed<T>::value) {
    if (y == T(-1)) return wrapSub(T(0), x);  // INT_MIN / -1 must not trap
  }
  return T(x / y);
}

#if defined(__CUDA_ARCH__)
NT_HD float mulRn(float a, float b) { return __fmul_rn(a, b); }
NT_HD double mulRn(double a, double b) { return __dmul_rn(a, b); }
NT_HD float addRn(float a, float b) { return __fadd_rn(a, b); }
NT_HD double addRn(double a, double b) { return __dadd_rn(a, b); }
NT_HD float subRn(float a, float b) { return __fsub_rn(a, b); }
NT_HD double subRn(double a, double b) { return __dsub_rn(a, b); }
#else
NT_HD float mulRn(float a, float b) { return a * b; }
NT_HD double mulRn(double a, double b) { return a * b; }
NT_HD float addRn(float a, float b) { return a + b; }
NT_HD double addRn(double a, double b) { return a + b; }
NT_HD float subRn(float a, float b) { return a - b; }
NT_HD double subRn(double a, double b) { return a - b; }
#endif

// Arithmetic ops for every numeric T: integers wrap, floats round each step.
template <typename T>
NT_HD T addAny(T a, T b) {
  if constexpr (std::is_floating_point<T>::value) return addRn(a, b);
  else return wrapAdd(a, b);
}
template <typename T>
NT_HD T subAny(T a, T b) {
  if constexpr (std::is_floating_point<T>::value) return subRn(a, b);
  else return wrapSub(a, b);
}
template <typename T>
NT_HD T mulAny(T a, T b) {
  if constexpr (std::is_floating_point<T>::value) return mulRn(a, b);
  else return wrapMul(a, b);
}

}  // namespace scalar
}  // namespace nt
