/*
 * Fused scaled-dot-product attention on the device, the twin of
 * cpu/attention.cpp (same contract, same tiles of keys, same online softmax):
 *   q [BH, L, E], k [BH, S, E], v [BH, S, Ev], out [BH, L, Ev], lse [BH, L]
 *   score(i, j) = scale * q_i . k_j + mask(i, j), -inf when causal and j > i
 * Forward: one block per (bh, tile of kRows query rows), one thread per row;
 * the block loads each key/value tile into shared memory (read from global
 * memory instead when a tile would not fit) and each thread keeps its row's
 * running max and sum, accumulating into its own output row.
 * Backward, no atomics: one kernel where a thread owns a query row (dq), one
 * where a thread owns a key row (dk, dv), both recomputing P = exp(score -
 * lse) and the dropout mask (common/attention.h). A fully masked row has
 * output 0 and lse +inf, so its P and gradients are 0. Correctness first.
 */
#include <cuda_runtime.h>

#include <string>

#include "common/attention.h"
#include "cuda/device_utils.cuh"
#include "cuda/kernels.h"

namespace nt {
namespace cuda {
namespace {

constexpr int kRows = 64;                   // threads per block: query (or key) rows
constexpr int kTile = 32;                   // rows per shared-memory tile
constexpr size_t kSharedLimit = 48 * 1024;  // default dynamic shared memory per block
constexpr int64_t kMaxGrid = (int64_t(1) << 31) - 1;

template <typename T>
__device__ T dot(const T* x, const T* y, int64_t n) {
  T s = 0;
  for (int64_t e = 0; e < n; ++e) s += x[e] * y[e];
  return s;
}

template <typename T, class Args>
__device__ T score(const Args& a, int64_t bh, int64_t i, int64_t j, const T* qi, const T* kj) {
  if (a.causal && j > i) return -INFINITY;
  return dot(qi, kj, a.E) * T(a.scale) + attention::maskAt<T>(a, bh, i, j);
}

// Copies rows [r0, r0 + n) of width w from src into the shared tile dst.
template <typename T>
__device__ void loadTile(T* dst, const T* src, int64_t r0, int64_t n, int64_t w) {
  for (int64_t x = threadIdx.x; x < n * w; x += blockDim.x) dst[x] = src[r0 * w + x];
}

template <typename T>
__global__ void attentionFwd(AttentionForwardArgs a, int64_t tiles, bool shared) {
  extern __shared__ __align__(16) unsigned char smem[];
  const int64_t L = a.L, S = a.S, E = a.E, Ev = a.Ev;
  const int64_t bh = blockIdx.x / tiles, i0 = (blockIdx.x % tiles) * kRows, i = i0 + threadIdx.x;
  const bool active = i < L;
  const T* q = static_cast<const T*>(a.q) + (bh * L + (active ? i : 0)) * E;
  const T* k = static_cast<const T*>(a.k) + bh * S * E;
  const T* v = static_cast<const T*>(a.v) + bh * S * Ev;
  T* o = static_cast<T*>(a.out) + (bh * L + (active ? i : 0)) * Ev;
  T* sK = reinterpret_cast<T*>(smem);
  T* sV = sK + kTile * E;
  if (active)
    for (int64_t e = 0; e < Ev; ++e) o[e] = T(0);
  T m = -INFINITY, l = 0;
  const int64_t rowLast = min(L, i0 + kRows) - 1;
  for (int64_t j0 = 0; j0 < S; j0 += kTile) {
    if (a.causal && j0 > rowLast) break;  // uniform over the block
    const int64_t cols = min(int64_t(kTile), S - j0);
    const T* tk = k + j0 * E;
    const T* tv = v + j0 * Ev;
    if (shared) {
      __syncthreads();
      loadTile(sK, k, j0, cols, E);
      loadTile(sV, v, j0, cols, Ev);
      __syncthreads();
      tk = sK;
      tv = sV;
    }
    if (!active) continue;
    T sc[kTile];
    T mx = -INFINITY;
    for (int64_t jj = 0; jj < cols; ++jj) {
      sc[jj] = score<T>(a, bh, i, j0 + jj, q, tk + jj * E);
      mx = max(mx, sc[jj]);
    }
    const T mnew = max(m, mx);
    if (mnew == -INFINITY) continue;  // nothing visible to this row yet
    const T alpha = exp(m - mnew);
    T sum = 0;
    const int64_t base = (bh * L + i) * S + j0;
    for (int64_t jj = 0; jj < cols; ++jj) {
      const T p = exp(sc[jj] - mnew);
      sum += p;
      sc[jj] = p * T(attention::dropScale(a.seed, a.offset, base + jj, a.dropoutP));
    }
    l = l * alpha + sum;
    m = mnew;
    for (int64_t e = 0; e < Ev; ++e) {
      T acc = o[e] * alpha;
      for (int64_t jj = 0; jj < cols; ++jj) acc += sc[jj] * tv[jj * Ev + e];
      o[e] = acc;
    }
  }
  if (!active) return;
  T* lse = static_cast<T*>(a.lse) + bh * L + i;
  if (m == -INFINITY) {  // fully masked: output 0 (already), lse +inf
    *lse = INFINITY;
    return;
  }
  const T inv = T(1) / l;
  for (int64_t e = 0; e < Ev; ++e) o[e] *= inv;
  *lse = m + log(l);
}

// dq: one thread per query row, key/value tiles shared as in the forward.
template <typename T>
__global__ void attentionBwdQ(AttentionBackwardArgs a, int64_t tiles, bool shared) {
  extern __shared__ __align__(16) unsigned char smem[];
  const int64_t L = a.L, S = a.S, E = a.E, Ev = a.Ev;
  const int64_t bh = blockIdx.x / tiles, i0 = (blockIdx.x % tiles) * kRows, i = i0 + threadIdx.x;
  const bool active = i < L;
  const int64_t row = bh * L + (active ? i : 0);
  const T* q = static_cast<const T*>(a.q) + row * E;
  const T* dO = static_cast<const T*>(a.dout) + row * Ev;
  const T* o = static_cast<const T*>(a.out) + row * Ev;
  const T* k = static_cast<const T*>(a.k) + bh * S * E;
  const T* v = static_cast<const T*>(a.v) + bh * S * Ev;
  T* dq = static_cast<T*>(a.dq) + row * E;
  T* sK = reinterpret_cast<T*>(smem);
  T* sV = sK + kTile * E;
  const T lse = active ? static_cast<const T*>(a.lse)[row] : T(INFINITY);
  const T D = active ? dot(dO, o, Ev) : T(0);
  if (active)
    for (int64_t e = 0; e < E; ++e) dq[e] = T(0);
  const int64_t rowLast = min(L, i0 + kRows) - 1;
  for (int64_t j0 = 0; j0 < S; j0 += kTile) {
    if (a.causal && j0 > rowLast) break;
    const int64_t cols = min(int64_t(kTile), S - j0);
    const T* tk = k + j0 * E;
    const T* tv = v + j0 * Ev;
    if (shared) {
      __syncthreads();
      loadTile(sK, k, j0, cols, E);
      loadTile(sV, v, j0, cols, Ev);
      __syncthreads();
      tk = sK;
      tv = sV;
    }
    if (!active || lse == T(INFINITY)) continue;
    for (int64_t jj = 0; jj < cols; ++jj) {
      const T p = exp(score<T>(a, bh, i, j0 + jj, q, tk + jj * E) - lse);
      if (p == T(0)) continue;
      const T drop = T(attention::dropScale(a.seed, a.offset, (bh * L + i) * S + j0 + jj, a.dropoutP));
      const T ds = T(a.scale) * p * (dot(dO, tv + jj * Ev, Ev) * drop - D);
      for (int64_t e = 0; e < E; ++e) dq[e] += ds * tk[jj * E + e];
    }
  }
}

// dk, dv: one thread per key row; query rows (q, dO, D, lse) shared per tile.
template <typename T>
__global__ void attentionBwdKV(AttentionBackwardArgs a, int64_t tiles, bool shared) {
  extern __shared__ __align__(16) unsigned char smem[];
  __shared__ T sD[kTile], sLse[kTile];
  const int64_t L = a.L, S = a.S, E = a.E, Ev = a.Ev;
  const int64_t bh = blockIdx.x / tiles, j0 = (blockIdx.x % tiles) * kRows, j = j0 + threadIdx.x;
  const bool active = j < S;
  const int64_t krow = bh * S + (active ? j : 0);
  const T* kj = static_cast<const T*>(a.k) + krow * E;
  const T* vj = static_cast<const T*>(a.v) + krow * Ev;
  const T* q = static_cast<const T*>(a.q) + bh * L * E;
  const T* dO = static_cast<const T*>(a.dout) + bh * L * Ev;
  const T* o = static_cast<const T*>(a.out) + bh * L * Ev;
  const T* lse = static_cast<const T*>(a.lse) + bh * L;
  T* dk = static_cast<T*>(a.dk) + krow * E;
  T* dv = static_cast<T*>(a.dv) + krow * Ev;
  T* sQ = reinterpret_cast<T*>(smem);
  T* sDO = sQ + kTile * E;
  if (active) {
    for (int64_t e = 0; e < E; ++e) dk[e] = T(0);
    for (int64_t e = 0; e < Ev; ++e) dv[e] = T(0);
  }
  // Causal: query rows before this block's first key see none of its keys.
  const int64_t start = a.causal ? (j0 / kTile) * kTile : 0;
  for (int64_t i0 = start; i0 < L; i0 += kTile) {
    const int64_t rows = min(int64_t(kTile), L - i0);
    __syncthreads();
    if (threadIdx.x < rows) {
      const int64_t i = i0 + threadIdx.x;
      sD[threadIdx.x] = dot(dO + i * Ev, o + i * Ev, Ev);
      sLse[threadIdx.x] = lse[i];
    }
    const T* tq = q + i0 * E;
    const T* tdo = dO + i0 * Ev;
    if (shared) {
      loadTile(sQ, q, i0, rows, E);
      loadTile(sDO, dO, i0, rows, Ev);
      tq = sQ;
      tdo = sDO;
    }
    __syncthreads();
    if (!active) continue;
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t i = i0 + r;
      if (sLse[r] == T(INFINITY) || (a.causal && j > i)) continue;
      const T* qi = tq + r * E;
      const T* dOi = tdo + r * Ev;
      const T p = exp(score<T>(a, bh, i, j, qi, kj) - sLse[r]);
      if (p == T(0)) continue;
      const T drop = T(attention::dropScale(a.seed, a.offset, (bh * L + i) * S + j, a.dropoutP));
      const T pd = p * drop;
      for (int64_t e = 0; e < Ev; ++e) dv[e] += pd * dOi[e];
      const T ds = T(a.scale) * p * (dot(dOi, vj, Ev) * drop - sD[r]);
      for (int64_t e = 0; e < E; ++e) dk[e] += ds * qi[e];
    }
  }
}

// Shared bytes for a tile of kTile rows of widths w1 + w2, or 0 (read from
// global memory) when that exceeds the default per-block limit.
template <typename T>
size_t tileBytes(int64_t w1, int64_t w2) {
  const size_t n = size_t(kTile) * size_t(w1 + w2) * sizeof(T);
  return n <= kSharedLimit ? n : 0;
}

// One block per (bh, tile of kRows rows), no grid-stride loop: refuse a grid
// that would not cover the work rather than skip part of it.
int64_t blocksFor(int64_t BH, int64_t rows, const char* op) {
  const int64_t n = BH * ((rows + kRows - 1) / kRows);
  if (n > kMaxGrid)
    throw Error(ErrorKind::Argument, std::string(op) + ": too many (batch * heads, row tiles) for one grid");
  return n;
}

}  // namespace

void launchAttentionForward(const Ctx& c, const AttentionForwardArgs& a) {
  if (a.BH == 0 || a.L == 0) return;  // Ev = 0 still writes lse, which the backward reads
  const int64_t tiles = (a.L + kRows - 1) / kRows;
  const int64_t blocks = blocksFor(a.BH, a.L, "scaled_dot_product_attention");
  NT_DISPATCH_FLOAT(a.dtype, "scaled_dot_product_attention", [&] {
    const size_t bytes = tileBytes<T>(a.E, a.Ev);
    attentionFwd<T><<<unsigned(blocks), kRows, bytes, c.stream>>>(a, tiles, bytes > 0);
    checkLaunch("scaled_dot_product_attention");
  });
}

void launchAttentionBackward(const Ctx& c, const AttentionBackwardArgs& a) {
  if (a.BH == 0) return;
  const char* op = "scaled_dot_product_attention_backward";
  const bool runQ = a.L > 0 && a.E > 0, runKV = a.S > 0 && (a.E > 0 || a.Ev > 0);
  const unsigned qBlocks = runQ ? unsigned(blocksFor(a.BH, a.L, op)) : 0u;  // both checked before either launch
  const unsigned kvBlocks = runKV ? unsigned(blocksFor(a.BH, a.S, op)) : 0u;
  NT_DISPATCH_FLOAT(a.dtype, op, [&] {
    const size_t bytes = tileBytes<T>(a.E, a.Ev);
    if (runQ) {
      attentionBwdQ<T><<<qBlocks, kRows, bytes, c.stream>>>(a, (a.L + kRows - 1) / kRows, bytes > 0);
      checkLaunch(op);
    }
    if (runKV) {
      attentionBwdKV<T><<<kvBlocks, kRows, bytes, c.stream>>>(a, (a.S + kRows - 1) / kRows, bytes > 0);
      checkLaunch(op);
    }
  });
}

}  // namespace cuda
}  // namespace nt
