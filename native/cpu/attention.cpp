// Fused scaled-dot-product attention on the CPU (AttentionForwardArgs,
// AttentionBackwardArgs), FlashAttention-2 style: scores are computed one
// (query tile, key tile) block at a time and never stored for a whole row,
// so memory is the output, the row log-sum-exp and a per-thread tile scratch.
//   q [BH, L, E], k [BH, S, E], v [BH, S, Ev], out [BH, L, Ev], lse [BH, L]
//   score(i, j) = scale * q_i . k_j + mask(i, j), -inf when causal and j > i
// The forward keeps a running max and sum per query row (online softmax);
// threads split (bh, query tile). The backward recomputes P = exp(score - lse)
// per block and regenerates the dropout mask (common/attention.h); threads
// split bh, each owning dq, dk, dv of its heads. A fully masked row (every
// score -inf) gets output 0 and lse +inf, so its P and its gradients are 0.
// The block products go through a small register-blocked kernel (tileGemm);
// float32 gets one copy of the block code per ISA (NT_VEC_CLONES).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "common/attention.h"
#include "cpu/kernels_cpu.h"
#include "cpu/parallel.h"
#include "cpu/vec_exp.h"

namespace nt {
namespace cpu {
namespace {

constexpr int64_t kTileQ = 64;
constexpr int64_t kTileK = 64;

// C[R x W] (+)= A[R x K] B[K x W], W = 64 bytes of T: the R rows of sums
// stay in registers while k runs (GCC's generic vectors, split into what
// each ISA copy has: 1 zmm, 2 ymm or 4 xmm per row).
template <class T, int R>
NT_ALWAYS_INLINE void microKernel(const T* __restrict A, int64_t lda, const T* __restrict B, int64_t ldb, int64_t K,
                                  T* __restrict C, int64_t ldc, bool acc) {
#if NT_GNU_VECTORS
  typedef T V __attribute__((vector_size(64)));
  V c[R];
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r) {
    if (acc) std::memcpy(&c[r], C + r * ldc, sizeof(V));
    else c[r] = V{};
  }
  for (int64_t k = 0; k < K; ++k) {
    V b;
    std::memcpy(&b, B + k * ldb, sizeof(V));
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) c[r] += A[r * lda + k] * b;
  }
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r) std::memcpy(C + r * ldc, &c[r], sizeof(V));
#else
  constexpr int W = 64 / sizeof(T);
  T c[R][W];
  for (int r = 0; r < R; ++r)
    for (int u = 0; u < W; ++u) c[r][u] = acc ? C[r * ldc + u] : T(0);
  for (int64_t k = 0; k < K; ++k) {
    const T* b = B + k * ldb;
    for (int r = 0; r < R; ++r) {
      const T x = A[r * lda + k];
      for (int u = 0; u < W; ++u) c[r][u] += x * b[u];
    }
  }
  for (int r = 0; r < R; ++r)
    for (int u = 0; u < W; ++u) C[r * ldc + u] = c[r][u];
#endif
}

// C[M x N] (+)= A[M x K] B[K x N], all row-major with the given row strides.
template <class T>
NT_ALWAYS_INLINE void tileGemm(const T* A, int64_t lda, const T* B, int64_t ldb, int64_t M, int64_t N, int64_t K, T* C,
                               int64_t ldc, bool acc) {
  constexpr int64_t W = 64 / sizeof(T);
  int64_t n0 = 0;
  for (; n0 + W <= N; n0 += W) {
    int64_t m = 0;
    for (; m + 4 <= M; m += 4) microKernel<T, 4>(A + m * lda, lda, B + n0, ldb, K, C + m * ldc + n0, ldc, acc);
    for (; m < M; ++m) microKernel<T, 1>(A + m * lda, lda, B + n0, ldb, K, C + m * ldc + n0, ldc, acc);
  }
  if (n0 == N) return;
  for (int64_t m = 0; m < M; ++m) {  // the last N % W columns
    T* c = C + m * ldc;
    if (!acc)
      for (int64_t n = n0; n < N; ++n) c[n] = T(0);
    for (int64_t k = 0; k < K; ++k) {
      const T x = A[m * lda + k];
      const T* b = B + k * ldb;
      for (int64_t n = n0; n < N; ++n) c[n] += x * b[n];
    }
  }
}

// tr[e * kTileK + jj] = src[(j0 + jj) * width + e] for jj < cols, 0 up to
// kTileK: a key tile transposed, so score blocks are products with it.
template <class T>
NT_ALWAYS_INLINE void transposeTile(const T* src, int64_t j0, int64_t cols, int64_t width, T* tr) {
  for (int64_t e = 0; e < width; ++e)
    for (int64_t jj = cols; jj < kTileK; ++jj) tr[e * kTileK + jj] = T(0);
  for (int64_t jj = 0; jj < cols; ++jj) {
    const T* row = src + (j0 + jj) * width;
    for (int64_t e = 0; e < width; ++e) tr[e * kTileK + jj] = row[e];
  }
}

// The masked, scaled scores of row i against keys [j0, j0 + cols), in place.
template <class T, class Args>
NT_ALWAYS_INLINE void scoreRow(const Args& a, int64_t bh, int64_t i, int64_t j0, int64_t cols, T* sc) {
  const T scale = T(a.scale), ninf = -std::numeric_limits<T>::infinity();
  const int64_t visible = a.causal ? std::max<int64_t>(0, std::min(cols, i - j0 + 1)) : cols;
  if (const T* mrow = attention::maskRow<T>(a, bh, i)) {
    const int64_t sj = a.mask.strides[3];
    mrow += j0 * sj;
    for (int64_t jj = 0; jj < visible; ++jj) sc[jj] = sc[jj] * scale + mrow[jj * sj];
  } else {
    for (int64_t jj = 0; jj < visible; ++jj) sc[jj] *= scale;
  }
  for (int64_t jj = visible; jj < cols; ++jj) sc[jj] = ninf;  // causal: j > i
}

// out[jj] = the dropout scale of element base + jj, for jj < cols: the same
// numbers as attention::dropScale, one Philox block per 4 elements.
template <class T, class Args>
NT_ALWAYS_INLINE void dropScales(const Args& a, int64_t base, int64_t cols, T* out) {
  int64_t jj = 0;
  while (jj < cols) {
    const int64_t e = base + jj;
    const philox::U4 b = philox::block(a.seed, a.offset + static_cast<uint64_t>(e) / 4);
    for (int lane = static_cast<int>(e & 3); lane < 4 && jj < cols; ++lane, ++jj)
      out[jj] = T(attention::keepScale(philox::lane(b, lane), a.dropoutP));
  }
}

// Hands out consecutive pieces of a thread's scratch; with a null base it
// only counts, so the size and the pointers come from the same code.
template <class T>
struct Carver {
  T* base;
  size_t used = 0;
  T* take(int64_t n) {
    T* p = base ? base + used : nullptr;
    used += size_t(n);
    return p;
  }
};

template <class T>
struct ForwardScratch {
  T *kT, *scores, *acc, *m, *l, *drop;
  size_t size;
  ForwardScratch(const AttentionForwardArgs& a, T* base) {
    Carver<T> c{base};
    kT = c.take(a.E * kTileK);
    scores = c.take(kTileQ * kTileK);
    acc = c.take(kTileQ * a.Ev);
    m = c.take(kTileQ);
    l = c.take(kTileQ);
    drop = c.take(kTileK);
    size = c.used;
  }
};

template <class T>
NT_ALWAYS_INLINE void forwardTile(const AttentionForwardArgs& a, int64_t bh, int64_t i0, int64_t i1, T* buf) {
  const int64_t L = a.L, S = a.S, E = a.E, Ev = a.Ev, rows = i1 - i0;
  const T ninf = -std::numeric_limits<T>::infinity();
  const ForwardScratch<T> sc0(a, buf);
  T *kT = sc0.kT, *scores = sc0.scores, *acc = sc0.acc, *m = sc0.m, *l = sc0.l, *drop = sc0.drop;
  for (int64_t r = 0; r < rows; ++r) {
    m[r] = ninf;
    l[r] = T(0);
  }
  std::fill(acc, acc + rows * Ev, T(0));
  const T* q = static_cast<const T*>(a.q) + (bh * L + i0) * E;
  const T* k = static_cast<const T*>(a.k) + bh * S * E;
  const T* v = static_cast<const T*>(a.v) + bh * S * Ev;
  for (int64_t j0 = 0; j0 < S; j0 += kTileK) {
    if (a.causal && j0 > i1 - 1) break;  // no row of this tile sees these keys
    const int64_t cols = std::min(kTileK, S - j0);
    transposeTile(k, j0, cols, E, kT);
    tileGemm(q, E, kT, kTileK, rows, kTileK, E, scores, kTileK, false);
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t i = i0 + r;
      T* sc = scores + r * kTileK;
      scoreRow<T>(a, bh, i, j0, cols, sc);
      T mx = ninf;
      for (int64_t jj = 0; jj < cols; ++jj) mx = std::max(mx, sc[jj]);
      const T mnew = std::max(m[r], mx);
      if (mnew == ninf) {  // nothing visible to this row yet
        std::fill(sc, sc + cols, T(0));
        continue;
      }
      const T alpha = expAny<T>(m[r] - mnew);
      T sum = 0;
      for (int64_t jj = 0; jj < cols; ++jj) {
        sc[jj] = expAny<T>(sc[jj] - mnew);
        sum += sc[jj];
      }
      l[r] = l[r] * alpha + sum;
      m[r] = mnew;
      if (alpha != T(1)) {
        T* ar = acc + r * Ev;
        for (int64_t e = 0; e < Ev; ++e) ar[e] *= alpha;
      }
      if (a.dropoutP > 0) {
        dropScales(a, (bh * L + i) * S + j0, cols, drop);
        for (int64_t jj = 0; jj < cols; ++jj) sc[jj] *= drop[jj];
      }
    }
    tileGemm(scores, kTileK, v + j0 * Ev, Ev, rows, Ev, cols, acc, Ev, true);
  }
  T* out = static_cast<T*>(a.out) + bh * L * Ev;
  T* lse = static_cast<T*>(a.lse) + bh * L;
  for (int64_t r = 0; r < rows; ++r) {
    T* o = out + (i0 + r) * Ev;
    const T* ar = acc + r * Ev;
    if (m[r] == ninf) {  // fully masked: output 0, P = exp(-inf) = 0 in the backward
      for (int64_t e = 0; e < Ev; ++e) o[e] = T(0);
      lse[i0 + r] = std::numeric_limits<T>::infinity();
      continue;
    }
    const T inv = T(1) / l[r];
    for (int64_t e = 0; e < Ev; ++e) o[e] = ar[e] * inv;
    lse[i0 + r] = m[r] + std::log(l[r]);
  }
}

template <class T>
struct BackwardScratch {
  T *kT, *vT, *P, *dP, *PdT, *dST, *drop, *D;
  size_t size;
  BackwardScratch(const AttentionBackwardArgs& a, T* base) {
    Carver<T> c{base};
    kT = c.take(a.E * kTileK);      // [E, kTileK]
    vT = c.take(a.Ev * kTileK);     // [Ev, kTileK]
    P = c.take(kTileQ * kTileK);    // [kTileQ, kTileK]: scores, then dS
    dP = c.take(kTileQ * kTileK);   // [kTileQ, kTileK]
    PdT = c.take(kTileK * kTileQ);  // [kTileK, kTileQ]: (P * dropout)^T
    dST = c.take(kTileK * kTileQ);  // [kTileK, kTileQ]: dS^T
    drop = c.take(kTileK);
    D = c.take(a.L);
    size = c.used;
  }
};

template <class T>
NT_ALWAYS_INLINE void backwardHead(const AttentionBackwardArgs& a, int64_t bh, T* buf) {
  const int64_t L = a.L, S = a.S, E = a.E, Ev = a.Ev;
  const T scale = T(a.scale), inf = std::numeric_limits<T>::infinity();
  const BackwardScratch<T> sb(a, buf);
  T *kT = sb.kT, *vT = sb.vT, *P = sb.P, *dP = sb.dP, *PdT = sb.PdT, *dST = sb.dST, *drop = sb.drop, *D = sb.D;
  const T* q = static_cast<const T*>(a.q) + bh * L * E;
  const T* k = static_cast<const T*>(a.k) + bh * S * E;
  const T* v = static_cast<const T*>(a.v) + bh * S * Ev;
  const T* o = static_cast<const T*>(a.out) + bh * L * Ev;
  const T* dO = static_cast<const T*>(a.dout) + bh * L * Ev;
  const T* lse = static_cast<const T*>(a.lse) + bh * L;
  T* dq = static_cast<T*>(a.dq) + bh * L * E;
  T* dk = static_cast<T*>(a.dk) + bh * S * E;
  T* dv = static_cast<T*>(a.dv) + bh * S * Ev;
  std::fill(dq, dq + L * E, T(0));
  std::fill(dk, dk + S * E, T(0));
  std::fill(dv, dv + S * Ev, T(0));
  // D_i = dO_i . O_i = sum_j P_ij dP_ij (dropout included).
  for (int64_t i = 0; i < L; ++i) {
    T s = 0;
    for (int64_t e = 0; e < Ev; ++e) s += dO[i * Ev + e] * o[i * Ev + e];
    D[i] = s;
  }
  for (int64_t j0 = 0; j0 < S; j0 += kTileK) {
    const int64_t cols = std::min(kTileK, S - j0);
    transposeTile(k, j0, cols, E, kT);
    transposeTile(v, j0, cols, Ev, vT);
    // Causal: query tiles wholly before j0 see none of these keys.
    for (int64_t i0 = a.causal ? (j0 / kTileQ) * kTileQ : 0; i0 < L; i0 += kTileQ) {
      const int64_t rows = std::min(kTileQ, L - i0);
      tileGemm(q + i0 * E, E, kT, kTileK, rows, kTileK, E, P, kTileK, false);
      tileGemm(dO + i0 * Ev, Ev, vT, kTileK, rows, kTileK, Ev, dP, kTileK, false);
      for (int64_t r = 0; r < rows; ++r) {
        const int64_t i = i0 + r;
        T* p = P + r * kTileK;
        T* dp = dP + r * kTileK;
        if (lse[i] == inf) {  // fully masked row: P = 0, so no gradient
          for (int64_t jj = 0; jj < cols; ++jj) p[jj] = PdT[jj * kTileQ + r] = dST[jj * kTileQ + r] = T(0);
          continue;
        }
        scoreRow<T>(a, bh, i, j0, cols, p);
        for (int64_t jj = 0; jj < cols; ++jj) p[jj] = expAny<T>(p[jj] - lse[i]);
        if (a.dropoutP > 0) dropScales(a, (bh * L + i) * S + j0, cols, drop);
        else std::fill(drop, drop + cols, T(1));
        for (int64_t jj = 0; jj < cols; ++jj) {
          PdT[jj * kTileQ + r] = p[jj] * drop[jj];
          p[jj] = scale * p[jj] * (dp[jj] * drop[jj] - D[i]);  // dS, scaled for dq and dk
          dST[jj * kTileQ + r] = p[jj];
        }
      }
      tileGemm(P, kTileK, k + j0 * E, E, rows, E, cols, dq + i0 * E, E, true);
      tileGemm(PdT, kTileQ, dO + i0 * Ev, Ev, cols, Ev, rows, dv + j0 * Ev, Ev, true);
      tileGemm(dST, kTileQ, q + i0 * E, E, cols, E, rows, dk + j0 * E, E, true);
    }
  }
}

// float32: one copy per ISA; float64 in plain code.
NT_VEC_CLONES void forwardTileF32(const AttentionForwardArgs& a, int64_t bh, int64_t i0, int64_t i1, float* buf) {
  forwardTile<float>(a, bh, i0, i1, buf);
}
NT_VEC_CLONES void backwardHeadF32(const AttentionBackwardArgs& a, int64_t bh, float* buf) {
  backwardHead<float>(a, bh, buf);
}
void forwardTileF64(const AttentionForwardArgs& a, int64_t bh, int64_t i0, int64_t i1, double* buf) {
  forwardTile<double>(a, bh, i0, i1, buf);
}
void backwardHeadF64(const AttentionBackwardArgs& a, int64_t bh, double* buf) { backwardHead<double>(a, bh, buf); }

void forwardTileAny(const AttentionForwardArgs& a, int64_t bh, int64_t i0, int64_t i1, float* buf) {
  forwardTileF32(a, bh, i0, i1, buf);
}
void forwardTileAny(const AttentionForwardArgs& a, int64_t bh, int64_t i0, int64_t i1, double* buf) {
  forwardTileF64(a, bh, i0, i1, buf);
}
void backwardHeadAny(const AttentionBackwardArgs& a, int64_t bh, float* buf) { backwardHeadF32(a, bh, buf); }
void backwardHeadAny(const AttentionBackwardArgs& a, int64_t bh, double* buf) { backwardHeadF64(a, bh, buf); }

}  // namespace

void attentionForward(const AttentionForwardArgs& a) {
  const int64_t tiles = (a.L + kTileQ - 1) / kTileQ;
  NT_DISPATCH_FLOAT(a.dtype, "scaled_dot_product_attention", [&] {
    parallelFor(0, a.BH * tiles, 1, [&](int64_t t0, int64_t t1) {
      std::vector<T> buf(ForwardScratch<T>(a, nullptr).size);
      for (int64_t t = t0; t < t1; ++t) {
        const int64_t bh = t / tiles, i0 = (t % tiles) * kTileQ;
        forwardTileAny(a, bh, i0, std::min(a.L, i0 + kTileQ), buf.data());
      }
    });
  });
}

void attentionBackward(const AttentionBackwardArgs& a) {
  NT_DISPATCH_FLOAT(a.dtype, "scaled_dot_product_attention_backward", [&] {
    parallelFor(0, a.BH, 1, [&](int64_t b0, int64_t b1) {
      std::vector<T> buf(BackwardScratch<T>(a, nullptr).size);
      for (int64_t bh = b0; bh < b1; ++bh) backwardHeadAny(a, bh, buf.data());
    });
  });
}

}  // namespace cpu
}  // namespace nt
