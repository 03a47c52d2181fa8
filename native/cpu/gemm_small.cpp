// Small-M GEMM, C = alpha * A @ B^T + beta * C without packing (gemm_small.h).
// C[i][j] is the dot product of row i of A and row j of B, both contiguous
// along K. A 4 x 3 tile keeps 12 vector accumulators (plus 3 of B and 1 of
// A: the 16 AVX2 registers); the loop order keeps three B rows in L1 while
// all M rows of A stream from L2, so B (the large weight) is read once.
// Lanes are summed once per tile, and the K % W tail is added in scalar.
#include "cpu/gemm_small.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "cpu/gemm.h"
#include "cpu/gemm_fallback.h"
#include "cpu/parallel.h"

namespace nt {
namespace cpu {
namespace {

// Where it measured faster than OpenBLAS 0.3.21 (AVX2, float32, thread CPU
// time, M in 1..256 against N x K of 500x784, 10x500, 64x64, 128x128,
// 1000x256): few rows (1.3-6x at M <= 4; 1.0-1.5x at M <= 16 once K >= 128)
// and narrow outputs (N = 10: 1.4-1.9x at every M up to 256, where packed
// kernels pad N to 16). Elsewhere OpenBLAS won (0.5-0.95x: the per-tile lane
// sums cost too much at short K, and at M = 64, N = 500 it is a tie).
constexpr int64_t kFewRows = 4, kSomeRows = 16, kNarrowN = 16, kMaxM = 256, kLongK = 128;
constexpr int kMR = 4, kNR = 3;

template <class T>
struct Dot {
  const T* A;
  const T* B;
  T* C;
  int64_t lda, ldb, ldc, M, N, K;
  T alpha, beta;
};

#if defined(__GNUC__) && defined(__x86_64__)
#define NT_SMALL_AVX2 1
#define NT_SMALL_INLINE inline __attribute__((always_inline))
#define NT_SMALL_TARGET __attribute__((target("avx2,fma")))

// Sum of the lanes of v (W lanes); v by value, so the accumulators stay in
// registers (indexing them in a loop that is not unrolled spills them all
// to the stack on every K step: 5x slower).
template <class V, int W>
NT_SMALL_INLINE auto laneSum(V v) {
  auto s = v[0];
#pragma GCC unroll 8
  for (int l = 1; l < W; ++l) s += v[l];
  return s;
}

// One MR x NR tile of C from rows A[0..MR) and B[0..NR) (32-byte vectors).
template <class T, int MR, int NR>
NT_SMALL_INLINE void tile(const Dot<T>& p, const T* a, const T* b, T* c) {
  typedef T V __attribute__((vector_size(32)));
  constexpr int W = 32 / int(sizeof(T));
  const int64_t K = p.K, lda = p.lda, ldb = p.ldb;
  V acc[MR][NR];
#pragma GCC unroll 4
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int j = 0; j < NR; ++j) acc[i][j] = V{};
  int64_t k = 0;
  if constexpr (MR * NR < 8) {
    // Too few accumulators to hide the FMA latency: a second set takes the
    // odd K steps (1-3 row tiles: M = 1 runs twice as fast).
    V acc2[MR][NR];
#pragma GCC unroll 4
    for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
      for (int j = 0; j < NR; ++j) acc2[i][j] = V{};
    for (; k + 2 * W <= K; k += 2 * W) {
#pragma GCC unroll 4
      for (int i = 0; i < MR; ++i) {
        V a0, a1;
        std::memcpy(&a0, a + i * lda + k, sizeof(V));
        std::memcpy(&a1, a + i * lda + k + W, sizeof(V));
#pragma GCC unroll 4
        for (int j = 0; j < NR; ++j) {
          V b0, b1;
          std::memcpy(&b0, b + j * ldb + k, sizeof(V));
          std::memcpy(&b1, b + j * ldb + k + W, sizeof(V));
          acc[i][j] += a0 * b0;
          acc2[i][j] += a1 * b1;
        }
      }
    }
#pragma GCC unroll 4
    for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
      for (int j = 0; j < NR; ++j) acc[i][j] += acc2[i][j];
  }
  for (; k + W <= K; k += W) {
    V bv[NR];
#pragma GCC unroll 4
    for (int j = 0; j < NR; ++j) std::memcpy(&bv[j], b + j * ldb + k, sizeof(V));
#pragma GCC unroll 4
    for (int i = 0; i < MR; ++i) {
      V av;
      std::memcpy(&av, a + i * lda + k, sizeof(V));
#pragma GCC unroll 4
      for (int j = 0; j < NR; ++j) acc[i][j] += av * bv[j];
    }
  }
  T s[MR][NR];
#pragma GCC unroll 4
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int j = 0; j < NR; ++j) s[i][j] = laneSum<V, W>(acc[i][j]);
  for (; k < K; ++k)
    for (int i = 0; i < MR; ++i)
      for (int j = 0; j < NR; ++j) s[i][j] += a[i * lda + k] * b[j * ldb + k];
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < NR; ++j) {
      T* cp = c + i * p.ldc + j;
      // beta == 0: C is not read (BLAS semantics: NaN there is overwritten).
      *cp = p.beta == T(0) ? p.alpha * s[i][j] : p.alpha * s[i][j] + p.beta * *cp;
    }
}

// All rows of C against the NR columns from j.
template <class T, int NR>
NT_SMALL_INLINE void columns(const Dot<T>& p, int64_t j) {
  const T* b = p.B + j * p.ldb;
  int64_t i = 0;
  for (; i + kMR <= p.M; i += kMR) tile<T, kMR, NR>(p, p.A + i * p.lda, b, p.C + i * p.ldc + j);
  const int64_t rest = p.M - i;
  if (rest == 3) tile<T, 3, NR>(p, p.A + i * p.lda, b, p.C + i * p.ldc + j);
  else if (rest == 2) tile<T, 2, NR>(p, p.A + i * p.lda, b, p.C + i * p.ldc + j);
  else if (rest == 1) tile<T, 1, NR>(p, p.A + i * p.lda, b, p.C + i * p.ldc + j);
}

// Column blocks [jb0, jb1) of kNR columns (the last may be narrower).
template <class T>
NT_SMALL_INLINE void blocks(const Dot<T>& p, int64_t jb0, int64_t jb1) {
  for (int64_t jb = jb0; jb < jb1; ++jb) {
    const int64_t j = jb * kNR, nr = std::min<int64_t>(kNR, p.N - j);
    if (nr == 3) columns<T, 3>(p, j);
    else if (nr == 2) columns<T, 2>(p, j);
    else columns<T, 1>(p, j);
  }
}

NT_SMALL_TARGET void blocksF(const Dot<float>& p, int64_t lo, int64_t hi) { blocks(p, lo, hi); }
#else
#define NT_SMALL_AVX2 0
#endif

bool kernelAvailable() {
#if NT_SMALL_AVX2
  // Only where the fallback also runs AVX2: that is where it was measured,
  // and NODETORCH_GEMM_ISA=generic turns it off with the rest.
  static const bool yes = std::string(gemmFallbackIsa()) == "avx2";
  return yes;
#else
  return false;
#endif
}

#if NT_SMALL_AVX2
void run(const GemmArgs& a, int threads) {
  const Dot<float> p{static_cast<const float*>(a.A),
                     static_cast<const float*>(a.B),
                     static_cast<float*>(a.C),
                     a.lda,
                     a.ldb,
                     a.ldc,
                     a.M,
                     a.N,
                     a.K,
                     static_cast<float>(a.alpha),
                     static_cast<float>(a.beta)};
  // Tasks are (batch, column block) pairs; a broadcast C (strideC == 0)
  // takes the batches in order instead, as separate BLAS calls would.
  const int64_t nBlocks = (a.N + kNR - 1) / kNR;
  const bool serialBatches = a.strideC == 0 && a.batch > 1;
  const int64_t gridBatch = serialBatches ? 1 : a.batch;
  const int64_t tasks = gridBatch * nBlocks;
  const double macs = double(a.M) * double(a.N) * double(a.K) * double(gridBatch);
  const int64_t use =
      std::min<int64_t>({int64_t(threads), tasks, std::max<int64_t>(1, int64_t(macs / kMacsPerThread))});
  auto runTasks = [&](const Dot<float>& q, int64_t lo, int64_t hi) {
    for (int64_t t = lo; t < hi;) {
      const int64_t b = t / nBlocks, end = std::min(hi, (b + 1) * nBlocks);
      Dot<float> qb = q;
      qb.A += b * a.strideA;
      qb.B += b * a.strideB;
      qb.C += b * a.strideC;
      blocksF(qb, t - b * nBlocks, end - b * nBlocks);
      t = end;
    }
  };
  for (int64_t s = 0; s < (serialBatches ? a.batch : 1); ++s) {
    Dot<float> q = p;
    q.A += s * a.strideA;
    q.B += s * a.strideB;
    if (use <= 1) runTasks(q, 0, tasks);
    else parallelFor(0, tasks, (tasks + use - 1) / use, [&](int64_t lo, int64_t hi) { runTasks(q, lo, hi); });
  }
}
#endif

}  // namespace

bool gemmSmallAvailable() { return kernelAvailable(); }

bool gemmSmallApplies(const GemmArgs& a) {
  if (a.dtype != DType::Float32 || !kernelAvailable() || a.transA || !a.transB) return false;
  if (a.K < 8 || (a.ldc < a.N && a.M > 1)) return false;
  const bool fewRows = a.M <= kFewRows || (a.M <= kSomeRows && a.K >= kLongK);
  const bool narrow = a.N <= kNarrowN && a.M <= kMaxM && a.K >= kLongK;
  return fewRows || narrow;
}

void gemmSmall(const GemmArgs& args, int threads) {
#if NT_SMALL_AVX2
  run(args, threads);
#else
  (void)args;
  (void)threads;
#endif
}

}  // namespace cpu
}  // namespace nt
