// Categorical sampling (MultinomialArgs): out[r, s] draws from the
// non-negative weights of row r with the Philox uniform number
// r * samples + s of the stream (seed, offset) (common/philox.h), by
// common/sort_scan_ops.h's drawCategory, the same routine the CUDA twin
// runs, so a seed gives the same samples on every device and thread count.
// Without replacement the draws of a row run in order and each zeroes its
// weight (the op passes a private copy). Threads split the rows.
#include <algorithm>
#include <cstdint>

#include "common/philox.h"
#include "common/sort_scan_ops.h"
#include "cpu/kernels_cpu.h"
#include "cpu/loops.h"
#include "cpu/parallel.h"

namespace nt {
namespace cpu {
namespace {

template <class T>
void sampleRows(const MultinomialArgs& a, int64_t r0, int64_t r1) {
  const int64_t cats = a.cats, samples = a.samples;
  for (int64_t r = r0; r < r1; ++r) {
    T* w = static_cast<T*>(a.weights) + r * cats;
    int64_t* out = static_cast<int64_t*>(a.out) + r * samples;
    double total = sortscan::rowTotal(w, cats);
    for (int64_t s = 0; s < samples; ++s) {
      const double u = philox::toUnitDouble(philox::bitsAt(a.seed, a.offset, r * samples + s));
      const int64_t c = sortscan::drawCategory(w, cats, total, u);
      out[s] = c;
      if (!a.replacement) {
        w[c] = T(0);
        total = sortscan::rowTotal(w, cats);
      }
    }
  }
}

}  // namespace

void multinomial(const MultinomialArgs& a) {
  const int64_t work = std::max<int64_t>(1, a.cats * (a.replacement ? 1 : a.samples));
  const int64_t grain = std::max<int64_t>(1, kGrain / work);
  NT_DISPATCH_FLOAT(a.dtype, "multinomial",
                    [&] { parallelFor(0, a.rows, grain, [&](int64_t r0, int64_t r1) { sampleRows<T>(a, r0, r1); }); });
}

}  // namespace cpu
}  // namespace nt
