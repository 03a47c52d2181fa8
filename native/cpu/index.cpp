// Index kernels: indexSelect, indexAdd (its backward), gather, scatterAdd.
//
// Every index value is checked against its dim before any element is
// written; a bad one raises IndexError naming the value and the valid range
// (negative indices are errors: the TS layer wraps them first). The adds
// never race: indexAdd splits work over (outer, inner column block) and
// scatterAdd over the dims before `dim`, each worker walking the indices in
// order, so duplicate indices accumulate deterministically.
#include <cstring>
#include <string>

#include "common/index_error_record.h"
#include "cpu/kernels_cpu.h"
#include "cpu/loops.h"

namespace nt {
namespace cpu {
namespace {

template <class I>
void checkIndices(const I* idx, int64_t n, int64_t size, const char* op, const char* where) {
  for (int64_t j = 0; j < n; ++j) {
    const int64_t v = static_cast<int64_t>(idx[j]);
    if (v < 0 || v >= size)
      throw Error(ErrorKind::Index, std::string(op) + ": index " + std::to_string(v) + " is out of range [0, " +
                                        std::to_string(size) + ")" + where);
  }
}

template <class I>
void indexSelectTyped(const IndexSelectArgs& a) {
  const I* idx = static_cast<const I*>(a.index);
  if (a.embedding) {
    for (int64_t j = 0; j < a.nIndex; ++j) {
      const int64_t v = static_cast<int64_t>(idx[j]);
      if (v < 0 || v >= a.dimSize) throw Error(ErrorKind::Index, embeddingIdMessage(v, a.dimSize));
    }
  } else {
    checkIndices(idx, a.nIndex, a.dimSize, "index_select", "");
  }
  const size_t es = dtypeSize(a.dtype);
  const size_t rowBytes = size_t(a.inner) * es;
  const char* in = static_cast<const char*>(a.in);
  char* out = static_cast<char*>(a.out);
  const int64_t rows = a.outer * a.nIndex;
  const int64_t grain = std::max<int64_t>(1, kGrain * 4 / std::max<int64_t>(1, int64_t(rowBytes)));
  parallelFor(0, rows, grain, [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      const int64_t o = r / a.nIndex, j = r % a.nIndex;
      const char* src = in + (o * a.dimSize + static_cast<int64_t>(idx[j])) * int64_t(rowBytes);
      std::memcpy(out + r * int64_t(rowBytes), src, rowBytes);
    }
  });
}

template <class T, class I>
void indexAddTyped(const IndexAddArgs& a) {
  const I* idx = static_cast<const I*>(a.index);
  checkIndices(idx, a.nIndex, a.dimSize, "index_add", "");
  T* out = static_cast<T*>(a.out);
  const T* src = static_cast<const T*>(a.src);
  const int64_t inner = a.inner;
  constexpr int64_t kBlock = 256;  // columns per work item
  const int64_t nBlocks = (inner + kBlock - 1) / kBlock;
  const int64_t work = a.outer * nBlocks;
  const int64_t perItem = a.nIndex * std::min(inner, kBlock);
  const int64_t grain = std::max<int64_t>(1, kGrain / std::max<int64_t>(1, perItem));
  parallelFor(0, work, grain, [&](int64_t lo, int64_t hi) {
    for (int64_t w = lo; w < hi; ++w) {
      const int64_t o = w / nBlocks, c0 = (w % nBlocks) * kBlock;
      const int64_t c1 = std::min(inner, c0 + kBlock);
      for (int64_t j = 0; j < a.nIndex; ++j) {
        T* d = out + (o * a.dimSize + static_cast<int64_t>(idx[j])) * inner;
        const T* s = src + (o * a.nIndex + j) * inner;
        for (int64_t c = c0; c < c1; ++c) d[c] = wrapAdd(d[c], s[c]);
      }
    }
  });
}

// Shared walk of gather / scatterAdd. `shape` is the index's shape, `self`
// the indexed tensor's (both contiguous). For every index element e at
// multi-index (p..., j, q...) calls f(e, selfOffsetWithoutDim, index[e]),
// splitting work over p; each p handles its j, q serially in order.
template <class I, class F>
void gatherWalk(const GatherArgs& a, const char* op, F&& f) {
  const int nd = a.shape.ndim, dim = a.dim;
  const I* idx = static_cast<const I*>(a.index);
  const int64_t n = a.shape.numel();
  const int64_t dimSize = a.selfShape.sizes[dim];
  for (int64_t e = 0; e < n; ++e) {
    const int64_t v = static_cast<int64_t>(idx[e]);
    if (v < 0 || v >= dimSize)
      throw Error(ErrorKind::Index, std::string(op) + ": index " + std::to_string(v) + " is out of range [0, " +
                                        std::to_string(dimSize) + ") along dim " + std::to_string(dim));
  }
  if (n == 0) return;
  int64_t selfStride[kMaxDims];
  int64_t s = 1;
  for (int d = nd - 1; d >= 0; --d) {
    selfStride[d] = s;
    s *= a.selfShape.sizes[d];
  }
  int64_t P = 1, tail = 1;  // tail = elements of one p slice of the index
  for (int d = 0; d < dim; ++d) P *= a.shape.sizes[d];
  for (int d = dim; d < nd; ++d) tail *= a.shape.sizes[d];
  const int64_t grain = std::max<int64_t>(1, kGrain / std::max<int64_t>(1, tail));
  parallelFor(0, P, grain, [&](int64_t lo, int64_t hi) {
    int64_t cnt[kMaxDims] = {0};
    for (int64_t p = lo; p < hi; ++p) {
      int64_t rest = p, base = 0;
      for (int d = dim - 1; d >= 0; --d) {
        const int64_t i = rest % a.shape.sizes[d];
        rest /= a.shape.sizes[d];
        base += i * selfStride[d];
      }
      // Walk dims dim..nd-1 with a counter; the dim's own offset comes from
      // the index value, so it contributes 0 here.
      for (int d = dim; d < nd; ++d) cnt[d] = 0;
      int64_t off = base;
      for (int64_t e = p * tail, end = e + tail; e < end; ++e) {
        f(e, off, static_cast<int64_t>(idx[e]) * selfStride[dim]);
        for (int d = nd - 1; d >= dim; --d) {
          if (d != dim) off += selfStride[d];
          if (++cnt[d] < a.shape.sizes[d]) break;
          if (d != dim) off -= cnt[d] * selfStride[d];
          cnt[d] = 0;
        }
      }
    }
  });
}

}  // namespace

void indexSelect(const IndexSelectArgs& a) {
  NT_DISPATCH_INDEX(a.indexDtype, "index_select", [&] { indexSelectTyped<I>(a); });
}

void indexAdd(const IndexAddArgs& a) {
  NT_DISPATCH_ALL(a.dtype, [&] {
    using V = T;
    NT_DISPATCH_INDEX(a.indexDtype, "index_add", [&] { indexAddTyped<V, I>(a); });
  });
}

void gather(const GatherArgs& a) {
  NT_DISPATCH_ALL(a.dtype, [&] {
    using V = T;
    NT_DISPATCH_INDEX(a.indexDtype, "gather", [&] {
      V* out = static_cast<V*>(a.out);
      const V* in = static_cast<const V*>(a.in);
      gatherWalk<I>(a, "gather", [&](int64_t e, int64_t off, int64_t dimOff) { out[e] = in[off + dimOff]; });
    });
  });
}

void scatterAdd(const GatherArgs& a) {
  NT_DISPATCH_ALL(a.dtype, [&] {
    using V = T;
    NT_DISPATCH_INDEX(a.indexDtype, "scatter_add", [&] {
      V* out = static_cast<V*>(a.out);
      const V* src = static_cast<const V*>(a.in);
      gatherWalk<I>(a, "scatter_add", [&](int64_t e, int64_t off, int64_t dimOff) {
        out[off + dimOff] = wrapAdd(out[off + dimOff], src[e]);
      });
    });
  });
}

}  // namespace cpu
}  // namespace nt
