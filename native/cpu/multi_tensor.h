// Helpers of the CPU multi-tensor optimizers (optim.cpp, optim_adaptive.cpp):
// a list of tensors is one flat index space split across threads, so many
// small tensors still use every core.
#pragma once
#include <algorithm>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "common/errors.h"

namespace nt {
namespace cpu {

// Calls f(tensor, lo, hi) for the pieces of flat range [lo, hi) that fall
// into each tensor, given prefix offsets starts[k] (starts.back() == total).
template <class F>
void forFlatRange(const std::vector<int64_t>& starts, int64_t lo, int64_t hi, F&& f) {
  size_t k = std::upper_bound(starts.begin(), starts.end(), lo) - starts.begin() - 1;
  while (lo < hi && k + 1 < starts.size()) {
    const int64_t end = std::min(hi, starts[k + 1]);
    if (end > lo) f(k, lo - starts[k], end - starts[k]);
    lo = std::max(lo, end);
    ++k;
  }
}

inline std::vector<int64_t> prefix(const std::vector<int64_t>& numels) {
  std::vector<int64_t> s(numels.size() + 1, 0);
  for (size_t k = 0; k < numels.size(); ++k) s[k + 1] = s[k] + numels[k];
  return s;
}

// Calls f(std::true_type) or f(std::false_type): turns a runtime flag into
// a template argument.
template <class F>
void withFlag(bool flag, F&& f) {
  if (flag) f(std::true_type{});
  else f(std::false_type{});
}

inline void checkLists(size_t n, size_t got, const char* op, const char* list) {
  if (got != n)
    throw Error(ErrorKind::Argument,
                std::string(op) + ": expected " + std::to_string(n) + " " + list + ", got " + std::to_string(got));
}

}  // namespace cpu
}  // namespace nt
