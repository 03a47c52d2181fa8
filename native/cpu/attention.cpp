// Fused scaled-dot-product attention on the CPU (AttentionForwardArgs,
// AttentionBackwardArgs), FlashAttention-2 style: scores are computed one
// key tile at a time and never stored for a whole row, so memory is the
// output, the row log-sum-exp and a per-thread tile scratch.
//   q [BH, L, E], k [BH, S, E], v [BH, S, Ev], out [BH, L, Ev], lse [BH, L]
//   score(i, j) = scale * q_i . k_j + mask(i, j), -inf when causal and j > i
// The forward keeps a running max and sum per query row (online softmax);
// threads split (bh, query tile). The backward recomputes P = exp(score - lse)
// per tile and regenerates the dropout mask (common/attention.h); threads
// split bh, each owning dq, dk, dv of its heads. A fully masked row (every
// score -inf) gets output 0 and lse +inf, so its P and its gradients are 0.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "common/attention.h"
#include "cpu/kernels_cpu.h"
#include "cpu/parallel.h"

namespace nt {
namespace cpu {
namespace {

constexpr int64_t kTileQ = 64;
constexpr int64_t kTileK = 64;

// tr[e * kTileK + jj] = src[(j0 + jj) * width + e]: a key tile transposed,
// so the score loops run over contiguous keys and vectorize.
template <class T>
void transposeTile(const T* src, int64_t j0, int64_t cols, int64_t width, T* tr) {
  for (int64_t jj = 0; jj < cols; ++jj) {
    const T* row = src + (j0 + jj) * width;
    for (int64_t e = 0; e < width; ++e) tr[e * kTileK + jj] = row[e];
  }
}

// out[jj] = x . tile column jj, for jj < cols.
template <class T>
void rowTimesTile(const T* __restrict x, const T* __restrict tr, int64_t width, int64_t cols, T* __restrict out) {
  for (int64_t jj = 0; jj < cols; ++jj) out[jj] = T(0);
  for (int64_t e = 0; e < width; ++e) {
    const T xe = x[e];
    const T* t = tr + e * kTileK;
    for (int64_t jj = 0; jj < cols; ++jj) out[jj] += xe * t[jj];
  }
}

template <class T>
void axpy(T alpha, const T* __restrict x, T* __restrict y, int64_t n) {
  for (int64_t e = 0; e < n; ++e) y[e] += alpha * x[e];
}

// The masked, scaled scores of row i against keys [j0, j0 + cols), in place.
template <class T, class Args>
void scoreRow(const Args& a, int64_t bh, int64_t i, int64_t j0, int64_t cols, T* sc) {
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

template <class T>
void forwardTile(const AttentionForwardArgs& a, int64_t bh, int64_t i0, int64_t i1, std::vector<T>& buf) {
  const int64_t L = a.L, S = a.S, E = a.E, Ev = a.Ev, rows = i1 - i0;
  const T ninf = -std::numeric_limits<T>::infinity();
  buf.assign(E * kTileK + rows * (kTileK + Ev + 2), T(0));
  T* kT = buf.data();
  T* scores = kT + E * kTileK;
  T* acc = scores + rows * kTileK;
  T* m = acc + rows * Ev;
  T* l = m + rows;
  std::fill(m, m + rows, ninf);
  const T* q = static_cast<const T*>(a.q) + bh * L * E;
  const T* k = static_cast<const T*>(a.k) + bh * S * E;
  const T* v = static_cast<const T*>(a.v) + bh * S * Ev;
  for (int64_t j0 = 0; j0 < S; j0 += kTileK) {
    if (a.causal && j0 > i1 - 1) break;  // no row of this tile sees these keys
    const int64_t cols = std::min(kTileK, S - j0);
    transposeTile(k, j0, cols, E, kT);
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t i = i0 + r;
      T* sc = scores + r * kTileK;
      rowTimesTile(q + i * E, kT, E, cols, sc);
      scoreRow<T>(a, bh, i, j0, cols, sc);
      T mx = ninf;
      for (int64_t jj = 0; jj < cols; ++jj) mx = std::max(mx, sc[jj]);
      const T mnew = std::max(m[r], mx);
      if (mnew == ninf) continue;  // nothing visible to this row yet
      const T alpha = std::exp(m[r] - mnew);
      T sum = 0;
      for (int64_t jj = 0; jj < cols; ++jj) {
        sc[jj] = std::exp(sc[jj] - mnew);
        sum += sc[jj];
      }
      l[r] = l[r] * alpha + sum;
      m[r] = mnew;
      T* ar = acc + r * Ev;
      if (alpha != T(1))
        for (int64_t e = 0; e < Ev; ++e) ar[e] *= alpha;
      const int64_t base = (bh * L + i) * S + j0;
      for (int64_t jj = 0; jj < cols; ++jj) {
        const T p = sc[jj] * T(attention::dropScale(a.seed, a.offset, base + jj, a.dropoutP));
        if (p != T(0)) axpy(p, v + (j0 + jj) * Ev, ar, Ev);
      }
    }
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
void backwardHead(const AttentionBackwardArgs& a, int64_t bh, std::vector<T>& buf) {
  const int64_t L = a.L, S = a.S, E = a.E, Ev = a.Ev;
  const T scale = T(a.scale), inf = std::numeric_limits<T>::infinity();
  buf.assign(E * kTileK + Ev * kTileK + 2 * kTileK + L, T(0));
  T* kT = buf.data();
  T* vT = kT + E * kTileK;
  T* p = vT + Ev * kTileK;
  T* dp = p + kTileK;
  T* D = dp + kTileK;
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
    for (int64_t i = a.causal ? j0 : 0; i < L; ++i) {  // causal: rows before j0 see none of the tile
      if (lse[i] == inf) continue;                     // fully masked row: P = 0
      rowTimesTile(q + i * E, kT, E, cols, p);
      scoreRow<T>(a, bh, i, j0, cols, p);
      for (int64_t jj = 0; jj < cols; ++jj) p[jj] = std::exp(p[jj] - lse[i]);
      rowTimesTile(dO + i * Ev, vT, Ev, cols, dp);
      const int64_t base = (bh * L + i) * S + j0;
      for (int64_t jj = 0; jj < cols; ++jj) {
        if (p[jj] == T(0)) continue;
        const T drop = T(attention::dropScale(a.seed, a.offset, base + jj, a.dropoutP));
        const int64_t j = j0 + jj;
        if (drop != T(0)) axpy(p[jj] * drop, dO + i * Ev, dv + j * Ev, Ev);
        const T ds = scale * p[jj] * (dp[jj] * drop - D[i]);
        axpy(ds, k + j * E, dq + i * E, E);
        axpy(ds, q + i * E, dk + j * E, E);
      }
    }
  }
}

}  // namespace

void attentionForward(const AttentionForwardArgs& a) {
  const int64_t tiles = (a.L + kTileQ - 1) / kTileQ;
  NT_DISPATCH_FLOAT(a.dtype, "scaled_dot_product_attention", [&] {
    parallelFor(0, a.BH * tiles, 1, [&](int64_t t0, int64_t t1) {
      std::vector<T> buf;
      for (int64_t t = t0; t < t1; ++t) {
        const int64_t bh = t / tiles, i0 = (t % tiles) * kTileQ;
        forwardTile<T>(a, bh, i0, std::min(a.L, i0 + kTileQ), buf);
      }
    });
  });
}

void attentionBackward(const AttentionBackwardArgs& a) {
  NT_DISPATCH_FLOAT(a.dtype, "scaled_dot_product_attention_backward", [&] {
    parallelFor(0, a.BH, 1, [&](int64_t b0, int64_t b1) {
      std::vector<T> buf;
      for (int64_t bh = b0; bh < b1; ++bh) backwardHead<T>(a, bh, buf);
    });
  });
}

}  // namespace cpu
}  // namespace nt
