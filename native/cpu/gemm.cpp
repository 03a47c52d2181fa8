// CPU GEMM entry point: C[b] = alpha * op(A[b]) @ op(B[b]) + beta * C[b].
// When OpenBLAS is there (blas_dynload.h: linked, or opened at run time) it
// calls cblas_sgemm/cblas_dgemm (row-major, transposes passed as flags, never
// copied); otherwise, and for arguments OpenBLAS's 32-bit blasint cannot
// express, the portable fallback runs.
// One exception: when the CPU has AVX-512 but the linked OpenBLAS runs a
// kernel without it (0.3.21 picks "Haswell" on AMD Zen 5), the fallback's
// AVX-512 kernel wins on all but the narrowest shapes, so those go to the
// fallback (preferFallback; figures in docs/benchmark-notes.md).
// Small-M products with B transposed (nn.Linear's forward) run the unpacked
// dot-product kernel of gemm_small.cpp on either path, where it measured faster.
#include <algorithm>
#include <cctype>
#include <climits>
#include <cstring>
#include <string>

#include "cpu/blas_dynload.h"
#include "cpu/gemm.h"
#include "cpu/gemm_fallback.h"
#include "cpu/gemm_small.h"
#include "cpu/parallel.h"

namespace nt {
namespace cpu {

namespace {

// OpenBLAS always runs single-threaded; a GEMM worth several threads (each
// gets at least kMacsPerThread, gemm.h) is cut into blocks of C that our own
// pool runs, one OpenBLAS call each. With OpenBLAS's thread pool beside ours
// the two fought for the cores: its caller spins in sched_yield while its
// workers finish, and on 2 cores the JS thread, our pool and OpenBLAS's
// workers made every split GEMM wait for a preempted half.
// Blocks per thread: more lets a thread that was preempted hand its share to
// the others; each block re-packs the operand that is not split.
constexpr int64_t kGemmBlocksPerThread = 2;

bool isAvx512Core(const char* name) {
  std::string n = name ? name : "";
  std::transform(n.begin(), n.end(), n.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const char* core : {"skylakex", "cooperlake", "sapphirerapids", "zen4", "zen5"})
    if (n.find(core) != std::string::npos) return true;
  return false;
}

bool fallbackBeatsBlas() {
  static const bool yes = std::string(gemmFallbackIsa()) == "avx512" && !isAvx512Core(blas()->coreName());
  return yes;
}

// The fallback's AVX-512 kernel beats a Haswell-only OpenBLAS except on
// narrow outputs (N below one vector of columns) and single rows, which
// stay with OpenBLAS (docs/benchmark-notes.md has the figures).
bool preferFallback(const GemmArgs& a) {
  const int64_t narrowN = a.dtype == DType::Float32 ? 16 : 8;
  return fallbackBeatsBlas() && a.N > narrowN && a.M > 1;
}

// OpenBLAS takes 32-bit ints and insists on ld >= max(1, columns) even when
// a matrix has a single row (then ld is never used, so we may replace it).
bool fitsInt(int64_t v) { return v >= 0 && v <= INT_MAX; }
int64_t normalizeLd(int64_t ld, int64_t rows, int64_t cols) { return rows <= 1 ? std::max<int64_t>(1, cols) : ld; }

void blasCall(int ta, int tb, int m, int n, int k, float alpha, const float* A, int lda, const float* B, int ldb,
              float beta, float* C, int ldc) {
  blas()->sgemm(kBlasRowMajor, ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}
void blasCall(int ta, int tb, int m, int n, int k, double alpha, const double* A, int lda, const double* B, int ldb,
              double beta, double* C, int ldc) {
  blas()->dgemm(kBlasRowMajor, ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}

// OpenBLAS applies beta = 0 with one scalar store per element (its
// gemm_beta kernel), several times slower than memset; on a weight-gradient
// GEMM that pass cost a third as much as the product. So C is cleared here
// and OpenBLAS accumulates into it with beta = 1 (which skips that pass).
template <class T>
void blasGemm(int ta, int tb, int m, int n, int k, T alpha, const T* A, int lda, const T* B, int ldb, T beta, T* C,
              int ldc) {
  if (beta == T(0) && m > 0 && n > 0) {
    if (ldc == n) {
      std::memset(C, 0, sizeof(T) * size_t(m) * size_t(n));
    } else {
      for (int i = 0; i < m; ++i) std::memset(C + int64_t(i) * ldc, 0, sizeof(T) * size_t(n));
    }
    beta = T(1);
  }
  blasCall(ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}

// Returns false when OpenBLAS cannot take these arguments (the caller then
// runs the fallback).
template <class T>
bool gemmOpenBlas(const GemmArgs& a) {
  // Stored shapes: A is M x K (K x M when transposed), B is K x N (N x K).
  const int64_t aRows = a.transA ? a.K : a.M, aCols = a.transA ? a.M : a.K;
  const int64_t bRows = a.transB ? a.N : a.K, bCols = a.transB ? a.K : a.N;
  const int64_t lda = normalizeLd(a.lda, aRows, aCols);
  const int64_t ldb = normalizeLd(a.ldb, bRows, bCols);
  const int64_t ldc = normalizeLd(a.ldc, a.M, a.N);
  if (!fitsInt(a.M) || !fitsInt(a.N) || !fitsInt(a.K) || !fitsInt(lda) || !fitsInt(ldb) || !fitsInt(ldc)) return false;
  // Broadcast or overlapping rows (ld < columns) are legal for us, not for BLAS.
  if (lda < aCols || ldb < bCols || ldc < a.N) return false;

  const double macs = double(a.M) * double(a.N) * double(a.K);
  const int maxThreads = gemmFallbackThreads();  // the one GEMM thread count
  const int threads = int(std::min<double>(maxThreads, std::max(1.0, macs / kMacsPerThread)));
  const T* A = static_cast<const T*>(a.A);
  const T* B = static_cast<const T*>(a.B);
  T* C = static_cast<T*>(a.C);
  const int ta = a.transA ? kBlasTrans : kBlasNoTrans;
  const int tb = a.transB ? kBlasTrans : kBlasNoTrans;
  const T alpha = static_cast<T>(a.alpha), beta = static_cast<T>(a.beta);
  auto one = [&](int64_t b) {
    blasGemm<T>(ta, tb, int(a.M), int(a.N), int(a.K), alpha, A + b * a.strideA, int(lda), B + b * a.strideB, int(ldb),
                beta, C + b * a.strideC, int(ldc));
  };

  // Many small matrices: one OpenBLAS thread each, batches spread over our
  // pool. Not when C is broadcast (batches must then run in order).
  const double allMacs = macs * double(a.batch);
  if (threads == 1 && maxThreads > 1 && a.batch > 1 && a.strideC != 0 && allMacs >= 2 * kMacsPerThread) {
    const int64_t batchThreads = int64_t(std::min<double>(maxThreads, allMacs / kMacsPerThread));
    parallelFor(0, a.batch, (a.batch + batchThreads - 1) / batchThreads, [&](int64_t lo, int64_t hi) {
      for (int64_t b = lo; b < hi; ++b) one(b);
    });
    return true;
  }
  if (threads == 1) {
    for (int64_t b = 0; b < a.batch; ++b) one(b);
    return true;
  }
  // One product over several threads: C cut into blocks of columns (or of
  // rows when it is taller than wide, so the larger operand is packed once
  // overall), each block one single-threaded OpenBLAS call on our pool.
  const bool byCols = a.N >= a.M;
  const int64_t extent = byCols ? a.N : a.M;
  const int64_t nBlocks = std::min<int64_t>(int64_t(threads) * kGemmBlocksPerThread, (extent + 15) / 16);
  const int64_t span = (extent + nBlocks - 1) / nBlocks;
  const int64_t blockLen = (span + 15) / 16 * 16;  // whole register tiles
  const int64_t blocks = (extent + blockLen - 1) / blockLen;
  for (int64_t b = 0; b < a.batch; ++b) {
    const T* Ab = A + b * a.strideA;
    const T* Bb = B + b * a.strideB;
    T* Cb = C + b * a.strideC;
    parallelFor(0, blocks, 1, [&](int64_t lo, int64_t hi) {
      const int64_t from = lo * blockLen, to = std::min(extent, hi * blockLen);
      const int len = int(to - from);
      if (byCols) {
        // Columns of C are columns of op(B): rows of B when it is transposed.
        const T* Bp = Bb + (a.transB ? from * ldb : from);
        blasGemm<T>(ta, tb, int(a.M), len, int(a.K), alpha, Ab, int(lda), Bp, int(ldb), beta, Cb + from, int(ldc));
      } else {
        const T* Ap = Ab + (a.transA ? from : from * lda);
        blasGemm<T>(ta, tb, len, int(a.N), int(a.K), alpha, Ap, int(lda), Bb, int(ldb), beta, Cb + from * ldc,
                    int(ldc));
      }
    });
  }
  return true;
}

}  // namespace

void gemm(const GemmArgs& args) {
  if (gemmHandledWithoutProduct(args)) return;
  if (gemmSmallApplies(args)) {
    gemmSmall(args, gemmFallbackThreads());
    return;
  }
  if (blas()) {
    if (preferFallback(args)) {
      gemmFallback(args);
      return;
    }
    const bool done = args.dtype == DType::Float32 ? gemmOpenBlas<float>(args) : gemmOpenBlas<double>(args);
    if (done) return;
  }
  gemmFallback(args);
}

std::string gemmDetail() {
  if (const BlasApi* b = blas()) {
    std::string d = std::string("OpenBLAS (") + b->coreName() + " kernels, " + b->origin + ")";
    if (fallbackBeatsBlas()) d += "; built-in avx512 kernel for wide shapes";
    if (gemmSmallAvailable()) d += "; built-in avx2 dot-product kernel for few-row or narrow A @ B^T";
    return d;
  }
  std::string d = std::string("built-in ") + gemmFallbackIsa() + " kernel (" + blasUnavailableReason() + ")";
  if (gemmSmallAvailable()) d += "; avx2 dot-product kernel for few-row or narrow A @ B^T";
  return d;
}

const char* gemmProvider() { return blas() ? "openblas" : "fallback"; }

void gemmSetNumThreads(int n) {
  n = std::max(1, n);
  gemmFallbackSetThreads(n);
}

}  // namespace cpu
}  // namespace nt
