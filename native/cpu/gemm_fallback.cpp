// Portable CPU GEMM, used when OpenBLAS is not linked (and by the tests as a
// second opinion). Goto/BLIS scheme: C is cut into tiles, one task each; a
// task walks K in panels, packs its rows of op(A) into MR-row slivers and its
// columns of op(B) into NR-column slivers (zero-padded, so transposes, leading
// dimensions and ragged edges are dealt with once, while packing), then an
// MR x NR register-blocked micro-kernel runs over the packed panels.
//
// The micro-kernel uses GCC/Clang vector extensions, so it vectorizes without
// intrinsics. On x86-64 AVX2+FMA and AVX-512 copies are compiled with the
// target attribute and chosen at run time (the prebuilt binary still runs on
// any x86-64); elsewhere the 16-byte generic copy runs (SSE2, NEON).
// Tasks run in parallel on nt::cpu::parallelFor.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <type_traits>

#include "cpu/gemm.h"
#include "cpu/gemm_fallback.h"
#include "cpu/parallel.h"

namespace nt {
namespace cpu {
namespace {

#if defined(__GNUC__)
#define NT_GEMM_VEC 1
#define NT_GEMM_INLINE inline __attribute__((always_inline))
#else
#define NT_GEMM_VEC 0
#define NT_GEMM_INLINE inline
#endif

#if NT_GEMM_VEC && defined(__x86_64__)
#define NT_GEMM_X86 1
#define NT_TARGET_AVX2 __attribute__((target("avx2,fma")))
#define NT_TARGET_AVX512 __attribute__((target("avx512f,avx2,fma")))
#else
#define NT_GEMM_X86 0
#endif

// Cache budgets (bytes / rows), overridable for tuning builds.
#ifndef NT_GEMM_L1B
#define NT_GEMM_L1B 24576
#endif
#ifndef NT_GEMM_MC
#define NT_GEMM_MC 144
#endif

std::atomic<int> g_threads{0};  // 0 = not set: the pool's thread count

template <class T>
struct Problem {
  const T* A;
  const T* B;
  T* C;
  int64_t lda, ldb, ldc, sA, sB, sC;
  bool tA, tB;
  int64_t M, N, K;
  T alpha, beta;
};

// Tile of C per task (mc x nc), K panel depth kc, and the task grid.
struct Tiling {
  int64_t mc, nc, kc, mTiles, nTiles;
};

inline int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
inline int64_t roundUp(int64_t a, int64_t b) { return ceilDiv(a, b) * b; }

// Per-thread packing buffer, grown on demand and kept (calls are frequent).
void* scratch(size_t bytes) {
  thread_local std::unique_ptr<char[]> buf;
  thread_local size_t cap = 0;
  if (cap < bytes + 64) {
    buf.reset(new char[bytes + 64]);
    cap = bytes + 64;
  }
  uintptr_t p = reinterpret_cast<uintptr_t>(buf.get());
  return reinterpret_cast<void*>((p + 63) & ~uintptr_t(63));
}

#if NT_GEMM_VEC
// dst[k*S + i] = src[i*ld + k] for i, k < 8: an 8x8 float transpose in
// registers, three rounds of two-input shuffles (GCC lowers them to the
// unpack/shuffle/permute instructions of the ISA it inlines into). Packing a
// transposed operand element by element cost as much as the multiply itself
// on the seed MLP's 64-row GEMMs.
NT_GEMM_INLINE void transpose8x8(const float* src, int64_t ld, float* dst, int64_t S) {
  typedef float V __attribute__((vector_size(32)));
  typedef int32_t Mask __attribute__((vector_size(32)));
  V r[8], t[8], u[8];
  for (int i = 0; i < 8; ++i) std::memcpy(&r[i], src + i * ld, sizeof(V));
  // t: pairs of rows interleaved; u: quads; then 128-bit halves combined.
  const Mask lo1 = {0, 8, 1, 9, 4, 12, 5, 13}, hi1 = {2, 10, 3, 11, 6, 14, 7, 15};
  for (int i = 0; i < 8; i += 2) {
    t[i] = __builtin_shuffle(r[i], r[i + 1], lo1);
    t[i + 1] = __builtin_shuffle(r[i], r[i + 1], hi1);
  }
  const Mask lo2 = {0, 1, 8, 9, 4, 5, 12, 13}, hi2 = {2, 3, 10, 11, 6, 7, 14, 15};
  for (int h = 0; h < 8; h += 4) {
    u[h] = __builtin_shuffle(t[h], t[h + 2], lo2);
    u[h + 1] = __builtin_shuffle(t[h], t[h + 2], hi2);
    u[h + 2] = __builtin_shuffle(t[h + 1], t[h + 3], lo2);
    u[h + 3] = __builtin_shuffle(t[h + 1], t[h + 3], hi2);
  }
  const Mask lo4 = {0, 1, 2, 3, 8, 9, 10, 11}, hi4 = {4, 5, 6, 7, 12, 13, 14, 15};
  for (int k = 0; k < 4; ++k) {
    const V a = __builtin_shuffle(u[k], u[k + 4], lo4), b = __builtin_shuffle(u[k], u[k + 4], hi4);
    std::memcpy(dst + k * S, &a, sizeof(V));
    std::memcpy(dst + (k + 4) * S, &b, sizeof(V));
  }
}
#endif

// dst[k*S + i] = src[i*ld + k] for i < R (a multiple of 8 when vectorized)
// and k < kc: R strided rows interleaved k-major.
template <class T, int R>
NT_GEMM_INLINE void interleaveRows(const T* src, int64_t ld, int64_t kc, T* dst, int64_t S) {
  int64_t k = 0;
#if NT_GEMM_VEC
  if constexpr (std::is_same_v<T, float> && R % 8 == 0) {
    for (; k + 8 <= kc; k += 8)
      for (int i = 0; i < R; i += 8) transpose8x8(src + i * ld + k, ld, dst + k * S + i, S);
  }
#endif
  for (; k < kc; ++k)
    for (int i = 0; i < R; ++i) dst[k * S + i] = src[i * ld + k];
}

// Packs op(A)[i0:i0+mc, p0:p0+kc] as MR-row slivers, each k-major:
// dst[s*MR*kc + k*MR + i]. Rows past mc are zero.
template <class T, int MR>
NT_GEMM_INLINE void packA(const Problem<T>& p, const T* A, int64_t i0, int64_t mc, int64_t p0, int64_t kc, T* dst) {
  for (int64_t s = 0; s < mc; s += MR, dst += MR * kc) {
    const int64_t mr = std::min<int64_t>(MR, mc - s), r = i0 + s;
    if (p.tA) {  // op(A)(i,k) = A[k*lda + i]: rows of a sliver are contiguous
      for (int64_t k = 0; k < kc; ++k) {
        const T* src = A + (p0 + k) * p.lda + r;
        T* d = dst + k * MR;
        for (int64_t i = 0; i < mr; ++i) d[i] = src[i];
        for (int64_t i = mr; i < MR; ++i) d[i] = T(0);
      }
    } else if (mr == MR) {  // op(A)(i,k) = A[i*lda + k]
      interleaveRows<T, MR>(A + r * p.lda + p0, p.lda, kc, dst, MR);
    } else {
      for (int64_t i = 0; i < mr; ++i) {
        const T* src = A + (r + i) * p.lda + p0;
        for (int64_t k = 0; k < kc; ++k) dst[k * MR + i] = src[k];
      }
      for (int64_t i = mr; i < MR; ++i)
        for (int64_t k = 0; k < kc; ++k) dst[k * MR + i] = T(0);
    }
  }
}

// Packs op(B)[p0:p0+kc, j0:j0+nc] as NR-column slivers, each k-major:
// dst[s*NR*kc + k*NR + j]. Columns past nc are zero.
template <class T, int NR>
NT_GEMM_INLINE void packB(const Problem<T>& p, const T* B, int64_t p0, int64_t kc, int64_t j0, int64_t nc, T* dst) {
  for (int64_t s = 0; s < nc; s += NR, dst += NR * kc) {
    const int64_t nr = std::min<int64_t>(NR, nc - s), c = j0 + s;
    if (!p.tB) {  // op(B)(k,j) = B[k*ldb + j]: columns of a sliver are contiguous
      for (int64_t k = 0; k < kc; ++k) {
        const T* src = B + (p0 + k) * p.ldb + c;
        T* d = dst + k * NR;
        for (int64_t j = 0; j < nr; ++j) d[j] = src[j];
        for (int64_t j = nr; j < NR; ++j) d[j] = T(0);
      }
    } else {  // op(B)(k,j) = B[j*ldb + k]
      if (nr == NR) {
        interleaveRows<T, NR>(B + c * p.ldb + p0, p.ldb, kc, dst, NR);
        continue;
      }
      for (int64_t j = 0; j < nr; ++j) {
        const T* src = B + (c + j) * p.ldb + p0;
        for (int64_t k = 0; k < kc; ++k) dst[k * NR + j] = src[k];
      }
      for (int64_t j = nr; j < NR; ++j)
        for (int64_t k = 0; k < kc; ++k) dst[k * NR + j] = T(0);
    }
  }
}

// Writes an mr x nr corner of the accumulator tile: on the first K panel
// C = alpha*acc + beta*C (C not read when beta == 0, so NaN there is
// overwritten, as in BLAS); on later panels C += alpha*acc.
template <class T, int MR, int NR>
NT_GEMM_INLINE void storeEdge(const T* acc, T* c, int64_t ldc, int64_t mr, int64_t nr, T alpha, T beta, bool first) {
  for (int64_t i = 0; i < mr; ++i)
    for (int64_t j = 0; j < nr; ++j) {
      T v = alpha * acc[i * NR + j];
      if (!first) v += c[i * ldc + j];
      else if (beta != T(0)) v += beta * c[i * ldc + j];
      c[i * ldc + j] = v;
    }
}

#if NT_GEMM_VEC
// acc[MR][NR] = sum_k a[k*MR + i] * b[k*NR + j] with NR/W vectors per row, W
// lanes of VB bytes each; MR*NR/W accumulators stay in registers.
template <class T, int MR, int NR, int VB>
NT_GEMM_INLINE void microKernel(int64_t kc, const T* a, const T* b, T* c, int64_t ldc, int64_t mr, int64_t nr, T alpha,
                                T beta, bool first) {
  typedef T V __attribute__((vector_size(VB)));
  constexpr int W = VB / int(sizeof(T));
  constexpr int NV = NR / W;
  static_assert(NR % W == 0, "NR must be a multiple of the vector width");
  V acc[MR][NV];
  for (int i = 0; i < MR; ++i)
    for (int v = 0; v < NV; ++v) acc[i][v] = V{};
  for (int64_t k = 0; k < kc; ++k, a += MR, b += NR) {
    V bv[NV];
    for (int v = 0; v < NV; ++v) std::memcpy(&bv[v], b + v * W, VB);
    for (int i = 0; i < MR; ++i) {
      const T ai = a[i];  // vector * scalar splats ai (one broadcast load)
      for (int v = 0; v < NV; ++v) acc[i][v] += bv[v] * ai;
    }
  }
  if (mr == MR && nr == NR) {
    const bool readC = !first || beta != T(0);
    const T bc = first ? beta : T(1);
    for (int i = 0; i < MR; ++i)
      for (int v = 0; v < NV; ++v) {
        T* cp = c + i * ldc + v * W;
        V r = acc[i][v] * alpha;
        if (readC) {
          V cv;
          std::memcpy(&cv, cp, VB);
          r += cv * bc;
        }
        std::memcpy(cp, &r, VB);
      }
  } else {
    T tmp[MR * NR];
    std::memcpy(tmp, acc, sizeof(tmp));
    storeEdge<T, MR, NR>(tmp, c, ldc, mr, nr, alpha, beta, first);
  }
}
#else
// Plain loops for compilers without vector extensions (MSVC).
template <class T, int MR, int NR, int VB>
NT_GEMM_INLINE void microKernel(int64_t kc, const T* a, const T* b, T* c, int64_t ldc, int64_t mr, int64_t nr, T alpha,
                                T beta, bool first) {
  T acc[MR * NR] = {};
  for (int64_t k = 0; k < kc; ++k, a += MR, b += NR)
    for (int i = 0; i < MR; ++i)
      for (int j = 0; j < NR; ++j) acc[i * NR + j] += a[i] * b[j];
  storeEdge<T, MR, NR>(acc, c, ldc, mr, nr, alpha, beta, first);
}
#endif

// Runs tasks [lo, hi) of the grid (batch, row tile, column tile).
template <class T, int MR, int NR, int VB>
NT_GEMM_INLINE void runTasks(const Problem<T>& p, const Tiling& t, int64_t lo, int64_t hi) {
  const int64_t aElems = roundUp(roundUp(t.mc, MR) * t.kc, 16);
  T* bufA = static_cast<T*>(scratch(sizeof(T) * (aElems + roundUp(t.nc, NR) * t.kc)));
  T* bufB = bufA + aElems;
  const int64_t perBatch = t.mTiles * t.nTiles;
  for (int64_t task = lo; task < hi; ++task) {
    const int64_t b = task / perBatch, mi = (task % perBatch) / t.nTiles, ni = task % t.nTiles;
    const int64_t i0 = mi * t.mc, mc = std::min(t.mc, p.M - i0);
    const int64_t j0 = ni * t.nc, nc = std::min(t.nc, p.N - j0);
    const T* A = p.A + b * p.sA;
    const T* B = p.B + b * p.sB;
    T* C = p.C + b * p.sC + i0 * p.ldc + j0;
    for (int64_t p0 = 0; p0 < p.K; p0 += t.kc) {
      const int64_t kc = std::min(t.kc, p.K - p0);
      packA<T, MR>(p, A, i0, mc, p0, kc, bufA);
      packB<T, NR>(p, B, p0, kc, j0, nc, bufB);
      // jr outside ir: one B sliver stays in L1 while A slivers stream from L2.
      for (int64_t jr = 0; jr < nc; jr += NR)
        for (int64_t ir = 0; ir < mc; ir += MR)
          microKernel<T, MR, NR, VB>(kc, bufA + ir * kc, bufB + jr * kc, C + ir * p.ldc + jr, p.ldc,
                                     std::min<int64_t>(MR, mc - ir), std::min<int64_t>(NR, nc - jr), p.alpha, p.beta,
                                     p0 == 0);
    }
  }
}

template <class T>
using TaskFn = void (*)(const Problem<T>&, const Tiling&, int64_t, int64_t);
template <class T>
struct Kernel {
  int mr, nr;
  TaskFn<T> run;
};

#define NT_GEMM_VARIANT(name, attr, T, MR, NR, VB)                               \
  attr void name(const Problem<T>& p, const Tiling& t, int64_t lo, int64_t hi) { \
    runTasks<T, MR, NR, VB>(p, t, lo, hi);                                       \
  }
// Generic build: 16-byte vectors (SSE2 / NEON), 8 accumulators.
NT_GEMM_VARIANT(runGenericF, , float, 4, 8, 16)
NT_GEMM_VARIANT(runGenericD, , double, 4, 4, 16)
#if NT_GEMM_X86
// AVX2+FMA: 6x16 floats / 6x8 doubles = 12 ymm accumulators of 16.
NT_GEMM_VARIANT(runAvx2F, NT_TARGET_AVX2, float, 6, 16, 32)
NT_GEMM_VARIANT(runAvx2D, NT_TARGET_AVX2, double, 6, 8, 32)
// AVX-512: 8x32 floats / 8x16 doubles = 16 zmm accumulators of 32, and a
// narrow 16 x (one vector) shape for N <= half a tile (64x500->10 layers),
// where the wide tile would compute mostly padding.
NT_GEMM_VARIANT(runAvx512F, NT_TARGET_AVX512, float, 8, 32, 64)
NT_GEMM_VARIANT(runAvx512D, NT_TARGET_AVX512, double, 8, 16, 64)
NT_GEMM_VARIANT(runAvx512NarrowF, NT_TARGET_AVX512, float, 16, 16, 64)
NT_GEMM_VARIANT(runAvx512NarrowD, NT_TARGET_AVX512, double, 16, 8, 64)
#endif
#undef NT_GEMM_VARIANT

// Instruction set used, fixed at first use: the best the CPU supports, capped
// by NODETORCH_GEMM_ISA=generic|avx2 (lets tests cover every variant).
enum class Isa { Generic, Avx2, Avx512 };
Isa detectIsa() {
#if NT_GEMM_X86
  const char* cap = std::getenv("NODETORCH_GEMM_ISA");
  const std::string c = cap ? cap : "";
  __builtin_cpu_init();
  if (c != "generic" && c != "avx2" && __builtin_cpu_supports("avx512f")) return Isa::Avx512;
  if (c != "generic" && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Isa::Avx2;
#endif
  return Isa::Generic;
}
Isa isa() {
  static const Isa v = detectIsa();
  return v;
}

Kernel<float> pickKernel(float*, int64_t N) {
#if NT_GEMM_X86
  if (isa() == Isa::Avx512) return N <= 16 ? Kernel<float>{16, 16, runAvx512NarrowF} : Kernel<float>{8, 32, runAvx512F};
  if (isa() == Isa::Avx2) return {6, 16, runAvx2F};
#endif
  return {4, 8, runGenericF};
}
Kernel<double> pickKernel(double*, int64_t N) {
#if NT_GEMM_X86
  if (isa() == Isa::Avx512) return N <= 8 ? Kernel<double>{16, 8, runAvx512NarrowD} : Kernel<double>{8, 16, runAvx512D};
  if (isa() == Isa::Avx2) return {6, 8, runAvx2D};
#endif
  return {4, 4, runGenericD};
}

// Balanced tiles no larger than the cache-sized maxima, split further until
// every thread has a task.
Tiling plan(int64_t batch, int64_t M, int64_t N, int64_t K, int mr, int nr, int threads, size_t elemSize) {
  // A kc x NR sliver of B stays in L1 (budget NT_GEMM_L1B bytes) while the
  // mc x kc block of A streams from L2.
  const int64_t kcFit = NT_GEMM_L1B / (nr * int64_t(elemSize)) / 16 * 16;
  const int64_t kcMax = std::min<int64_t>(512, std::max<int64_t>(128, kcFit));
  const int64_t mcMax = NT_GEMM_MC, ncMax = 512;
  Tiling t;
  t.kc = ceilDiv(K, ceilDiv(K, kcMax));
  t.mc = roundUp(ceilDiv(M, ceilDiv(M, mcMax)), mr);
  t.nc = roundUp(ceilDiv(N, ceilDiv(N, ncMax)), nr);
  while (batch * ceilDiv(M, t.mc) * ceilDiv(N, t.nc) < threads) {
    if (t.nc > nr && (t.nc >= t.mc || t.mc <= mr)) t.nc = roundUp(ceilDiv(t.nc, 2), nr);
    else if (t.mc > mr) t.mc = roundUp(ceilDiv(t.mc, 2), mr);
    else break;
  }
  t.mTiles = ceilDiv(M, t.mc);
  t.nTiles = ceilDiv(N, t.nc);
  return t;
}

template <class T>
void gemmTyped(const GemmArgs& a) {
  Problem<T> p{static_cast<const T*>(a.A),
               static_cast<const T*>(a.B),
               static_cast<T*>(a.C),
               a.lda,
               a.ldb,
               a.ldc,
               a.strideA,
               a.strideB,
               a.strideC,
               a.transA,
               a.transB,
               a.M,
               a.N,
               a.K,
               static_cast<T>(a.alpha),
               static_cast<T>(a.beta)};
  const Kernel<T> kern = pickKernel(static_cast<T*>(nullptr), a.N);
  // With a broadcast C (strideC == 0) batches must run one after another, as
  // separate calls would; otherwise all batches share one task grid.
  const bool serialBatches = a.strideC == 0 && a.batch > 1;
  const int64_t gridBatch = serialBatches ? 1 : a.batch;
  const double macs = double(a.M) * double(a.N) * double(a.K) * double(gridBatch);
  const int threads = int(std::min<double>(gemmFallbackThreads(), std::max(1.0, macs / kMacsPerThread)));
  const Tiling t = plan(gridBatch, a.M, a.N, a.K, kern.mr, kern.nr, threads, sizeof(T));
  const int64_t tasks = gridBatch * t.mTiles * t.nTiles;
  for (int64_t b = 0; b < (serialBatches ? a.batch : 1); ++b) {
    Problem<T> pb = p;
    pb.A += b * p.sA;
    pb.B += b * p.sB;
    if (threads <= 1 || tasks <= 1) {
      kern.run(pb, t, 0, tasks);
    } else {
      parallelFor(0, tasks, ceilDiv(tasks, threads), [&](int64_t lo, int64_t hi) { kern.run(pb, t, lo, hi); });
    }
  }
}

template <class T>
void scaleTyped(const GemmArgs& a) {
  const T beta = static_cast<T>(a.beta);
  for (int64_t b = 0; b < a.batch; ++b) {
    T* C = static_cast<T*>(a.C) + b * a.strideC;
    for (int64_t i = 0; i < a.M; ++i) {
      T* row = C + i * a.ldc;
      if (beta == T(0)) std::fill(row, row + a.N, T(0));
      else if (beta != T(1))
        for (int64_t j = 0; j < a.N; ++j) row[j] *= beta;
    }
  }
}

}  // namespace

const char* gemmFallbackIsa() {
  switch (isa()) {
    case Isa::Avx512: return "avx512";
    case Isa::Avx2: return "avx2";
    default: return "generic";
  }
}

int gemmFallbackThreads() {
  const int n = g_threads.load(std::memory_order_relaxed);
  return n > 0 ? n : std::max(1, getNumThreads());
}

void gemmFallbackSetThreads(int n) { g_threads.store(std::max(0, n), std::memory_order_relaxed); }

void gemmScaleC(const GemmArgs& args) {
  if (args.dtype == DType::Float32) scaleTyped<float>(args);
  else if (args.dtype == DType::Float64) scaleTyped<double>(args);
  else throw Error(ErrorKind::DType, std::string("gemm: expected float32 or float64, got ") + dtypeName(args.dtype));
}

bool gemmHandledWithoutProduct(const GemmArgs& args) {
  if (args.dtype != DType::Float32 && args.dtype != DType::Float64)
    throw Error(ErrorKind::DType, std::string("gemm: expected float32 or float64, got ") + dtypeName(args.dtype));
  if (args.batch <= 0 || args.M <= 0 || args.N <= 0) return true;
  // K == 0 or alpha == 0: C = beta*C, A and B are not read (BLAS semantics;
  // with beta == 0 C is overwritten even if it holds NaN).
  if (args.K <= 0 || args.alpha == 0.0) {
    gemmScaleC(args);
    return true;
  }
  return false;
}

void gemmFallback(const GemmArgs& args) {
  if (gemmHandledWithoutProduct(args)) return;
  if (args.dtype == DType::Float32) gemmTyped<float>(args);
  else gemmTyped<double>(args);
}

}  // namespace cpu
}  // namespace nt
