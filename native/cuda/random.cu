/*
 * Random fill from the shared Philox4x32-10 streams (common/philox.h), with
 * the same numbers as the CPU twin (cpu/random.cpp) for the same seed and
 * offset: element i uses lane i%4 of block (offset + i/4) (Uniform, Int,
 * Bernoulli) or the pair (offset + i/2) (Normal). One thread computes one
 * Philox block and writes the 4 (or 2) elements it feeds. The CPU's
 * expressions are repeated with explicitly rounded operations (__fmul_rn
 * ...) so nvcc cannot fuse them into an FMA, keeping Uniform, Int and
 * Bernoulli bit-identical; Normal goes through log/sqrt/sin/cos, whose last
 * bit can differ between the host and device libraries.
 */
#include <cuda_runtime.h>

#include <cmath>
#include <string>

#include "common/philox.h"
#include "cuda/device_utils.cuh"
#include "cuda/kernels.h"

namespace nt {
namespace cuda {
namespace {

struct RandParams {
  uint64_t seed, offset;
  double a, b;
  float lo32, span32;  // Uniform float32: float(a), float(b - a)
  float p32;           // Bernoulli float32: float(a)
  int64_t low;
  uint64_t range;  // Int
};

template <typename T>
__device__ __forceinline__ T uniformValue(const RandParams& q, uint32_t r) {
  if constexpr (std::is_same<T, float>::value) return __fadd_rn(q.lo32, __fmul_rn(q.span32, philox::toUnitFloat(r)));
  else return T(__dadd_rn(q.a, __dmul_rn(q.b - q.a, philox::toUnitDouble(r))));
}

template <typename T>
__device__ __forceinline__ T intValue(const RandParams& q, uint32_t r) {
  uint64_t k;
  if (q.range <= (uint64_t(1) << 32)) {
    k = (uint64_t(r) * q.range) >> 32;
  } else {
    const double f = floor(__dmul_rn(philox::toUnitDouble(r), double(q.range)));
    k = uint64_t(f);
    if (k > q.range - 1) k = q.range - 1;
  }
  return castValue<T>(int64_t(uint64_t(q.low) + k));
}

// kind 0 Uniform, 2 Int, 3 Bernoulli: out[4q .. 4q+3] from block (offset + q).
template <typename T, int kKind>
__global__ void bitsKernel(int64_t n, T* out, RandParams q, T value) {
  const int64_t blocks = (n + 3) / 4;
  const int64_t step = int64_t(gridDim.x) * blockDim.x;
  for (int64_t b = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; b < blocks; b += step) {
    const philox::U4 v = philox::block(q.seed, q.offset + uint64_t(b));
    const uint32_t lanes[4] = {v.x, v.y, v.z, v.w};
#pragma unroll
    for (int l = 0; l < 4; ++l) {
      const int64_t i = b * 4 + l;
      if (i >= n) break;
      const uint32_t r = lanes[l];
      if constexpr (kKind == 0) {
        out[i] = uniformValue<T>(q, r);
      } else if constexpr (kKind == 2) {
        out[i] = intValue<T>(q, r);
      } else {
        bool hit;
        if constexpr (std::is_same<T, float>::value) hit = philox::toUnitFloat(r) < q.p32;
        else hit = philox::toUnitDouble(r) < q.a;
        out[i] = hit ? value : T(0);
      }
    }
  }
}

// out[2q], out[2q+1] = a + b * (r cos th, r sin th) from block (offset + q),
// the expressions of philox::normalAt.
template <typename T>
__global__ void normalKernel(int64_t n, T* out, RandParams q) {
  const int64_t pairs = (n + 1) / 2;
  const int64_t step = int64_t(gridDim.x) * blockDim.x;
  for (int64_t p = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; p < pairs; p += step) {
    const philox::U4 v = philox::block(q.seed, q.offset + uint64_t(p));
    const double u1 = __dmul_rn(double(v.x) + 1.0, 1.0 / 4294967297.0);
    const double u2 = __dmul_rn(double(v.y), 1.0 / 4294967296.0);
    const double r = sqrt(-2.0 * log(u1));
    const double th = __dmul_rn(6.283185307179586, u2);
    double s, co;
    sincos(th, &s, &co);
    const int64_t i = p * 2;
    out[i] = T(__dadd_rn(q.a, __dmul_rn(q.b, __dmul_rn(r, co))));
    if (i + 1 < n) out[i + 1] = T(__dadd_rn(q.a, __dmul_rn(q.b, __dmul_rn(r, s))));
  }
}

[[noreturn]] void randomDtypeError(const RandomArgs& a) {
  throw Error(ErrorKind::DType, std::string("random: expected a ") +
                                    (a.kind == RandomKind::Int ? "numeric" : "float32 or float64") + " dtype, got " +
                                    dtypeName(a.dtype));
}

}  // namespace

void launchRandom(const Ctx& c, const RandomArgs& a) {
  if (a.n <= 0) return;
  const bool toBool = a.dtype == DType::Bool;
  RandParams q{};
  q.seed = a.seed;
  q.offset = a.offset;
  q.a = a.a;
  q.b = a.b;
  q.lo32 = float(a.a);
  q.span32 = float(a.b - a.a);
  q.p32 = float(a.a);
  const unsigned grid4 = gridFor((a.n + 3) / 4, kThreads), grid2 = gridFor((a.n + 1) / 2, kThreads);
  switch (a.kind) {
    case RandomKind::Uniform:
      if (!isFloating(a.dtype)) randomDtypeError(a);
      NT_DISPATCH_FLOAT(a.dtype, "random", [&] {
        bitsKernel<T, 0><<<grid4, kThreads, 0, c.stream>>>(a.n, static_cast<T*>(a.out), q, T(0));
      });
      break;
    case RandomKind::Normal:
      if (!isFloating(a.dtype)) randomDtypeError(a);
      NT_DISPATCH_FLOAT(a.dtype, "random",
                        [&] { normalKernel<T><<<grid2, kThreads, 0, c.stream>>>(a.n, static_cast<T*>(a.out), q); });
      break;
    case RandomKind::Int: {
      if (toBool) randomDtypeError(a);
      const double lowD = std::ceil(a.a), highD = std::ceil(a.b);
      if (!(lowD < highD) || std::fabs(lowD) > 9.0e18 || std::fabs(highD) > 9.0e18)
        throw Error(ErrorKind::Argument, "random(int): expected finite low < high, got [" + std::to_string(a.a) + ", " +
                                             std::to_string(a.b) + ")");
      q.low = int64_t(lowD);
      q.range = uint64_t(int64_t(highD) - q.low);
      NT_DISPATCH_ALL(
          a.dtype, [&] { bitsKernel<T, 2><<<grid4, kThreads, 0, c.stream>>>(a.n, static_cast<T*>(a.out), q, T(0)); });
      break;
    }
    case RandomKind::Bernoulli:
      NT_DISPATCH_ALL(a.dtype, [&] {
        const T value = toBool ? T(a.b != 0.0) : castValue<T>(a.b);
        bitsKernel<T, 3><<<grid4, kThreads, 0, c.stream>>>(a.n, static_cast<T*>(a.out), q, value);
      });
      break;
    default: throw Error(ErrorKind::Argument, "random: unknown kind " + std::to_string(int(a.kind)));
  }
  checkLaunch("random");
}

}  // namespace cuda
}  // namespace nt
