// Sorting and scanning along rows.
//  sortRows (SortRowsArgs): the first k of each contiguous row [rows, cols]
//    in the order of common/sort_scan_ops.h (NaN largest, ties in input
//    order), as values and int64 indices. A total order makes the result
//    unique, so std::partial_sort (k well below cols) and std::sort give the
//    same answer as the CUDA twin. Threads split the rows.
//  cumsum (CumsumArgs): running sums along the middle dim of contiguous
//    [outer, n, inner], forward or reversed (the backward); floats accumulate
//    in double, integers in int64, each sum cast to the output dtype.
#include <algorithm>
#include <cstdint>
#include <numeric>
#include <type_traits>
#include <vector>

#include "common/cast.h"
#include "common/sort_scan_ops.h"
#include "cpu/kernels_cpu.h"
#include "cpu/loops.h"
#include "cpu/parallel.h"

namespace nt {
namespace cpu {
namespace {

template <class T>
void sortRowRange(const SortRowsArgs& a, int64_t r0, int64_t r1) {
  const int64_t cols = a.cols, k = a.k;
  const bool desc = a.descending;
  std::vector<int64_t> order(static_cast<size_t>(cols));
  for (int64_t r = r0; r < r1; ++r) {
    const T* in = static_cast<const T*>(a.in) + r * cols;
    std::iota(order.begin(), order.end(), int64_t(0));
    auto before = [&](int64_t i, int64_t j) { return sortscan::sortsBefore(in[i], i, in[j], j, desc); };
    if (k < cols / 4) std::partial_sort(order.begin(), order.begin() + k, order.end(), before);
    else std::sort(order.begin(), order.end(), before);
    T* values = static_cast<T*>(a.values) + r * k;
    int64_t* indices = static_cast<int64_t*>(a.indices) + r * k;
    for (int64_t j = 0; j < k; ++j) {
      values[j] = in[order[j]];
      indices[j] = order[j];
    }
  }
}

template <class T>
void cumsumLines(const CumsumArgs& a, int64_t l0, int64_t l1) {
  using Acc = std::conditional_t<std::is_floating_point_v<T>, double, int64_t>;
  const int64_t n = a.n, inner = a.inner;
  for (int64_t line = l0; line < l1; ++line) {
    const int64_t o = line / inner, i = line % inner;
    const T* in = static_cast<const T*>(a.in) + o * n * inner + i;
    T* out = static_cast<T*>(a.out) + o * n * inner + i;
    Acc acc = 0;
    for (int64_t s = 0; s < n; ++s) {
      const int64_t j = a.reverse ? n - 1 - s : s;
      acc += static_cast<Acc>(in[j * inner]);
      out[j * inner] = castValue<T>(acc);
    }
  }
}

}  // namespace

void sortRows(const SortRowsArgs& a) {
  const int64_t work = a.cols > 0 ? a.cols * 16 : 1;
  const int64_t grain = std::max<int64_t>(1, kGrain / work);
  NT_DISPATCH_ALL(a.dtype,
                  [&] { parallelFor(0, a.rows, grain, [&](int64_t r0, int64_t r1) { sortRowRange<T>(a, r0, r1); }); });
}

void cumsum(const CumsumArgs& a) {
  const int64_t lines = a.outer * a.inner;
  const int64_t grain = std::max<int64_t>(1, kGrain / std::max<int64_t>(1, a.n));
  NT_DISPATCH_ALL(a.dtype,
                  [&] { parallelFor(0, lines, grain, [&](int64_t l0, int64_t l1) { cumsumLines<T>(a, l0, l1); }); });
}

}  // namespace cpu
}  // namespace nt
