/*
 * Categorical sampling on the device, the twin of cpu/multinomial.cpp: the
 * same Philox uniform per (row, sample) and the same drawCategory
 * (common/sort_scan_ops.h), so a seed gives the CPU's samples exactly. With
 * replacement one thread draws one sample; without, one thread per row draws
 * its samples in order, zeroing each chosen weight (the op passes a copy).
 */
#include <cuda_runtime.h>

#include "common/philox.h"
#include "common/sort_scan_ops.h"
#include "cuda/device_utils.cuh"
#include "cuda/kernels.h"

namespace nt {
namespace cuda {
namespace {

template <typename T>
__global__ void multinomialKernel(MultinomialArgs a, int64_t* out, T* weights) {
  const int64_t cats = a.cats, samples = a.samples;
  const int64_t n = a.replacement ? a.rows * samples : a.rows;
  const int64_t step = int64_t(gridDim.x) * blockDim.x;
  for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < n; e += step) {
    if (a.replacement) {
      const int64_t r = e / samples;
      const T* w = weights + r * cats;
      const double u = philox::toUnitDouble(philox::bitsAt(a.seed, a.offset, e));
      out[e] = sortscan::drawCategory(w, cats, sortscan::rowTotal(w, cats), u);
      continue;
    }
    T* w = weights + e * cats;
    double total = sortscan::rowTotal(w, cats);
    for (int64_t s = 0; s < samples; ++s) {
      const double u = philox::toUnitDouble(philox::bitsAt(a.seed, a.offset, e * samples + s));
      const int64_t c = sortscan::drawCategory(w, cats, total, u);
      out[e * samples + s] = c;
      w[c] = T(0);
      total = sortscan::rowTotal(w, cats);
    }
  }
}

}  // namespace

void launchMultinomial(const Ctx& c, const MultinomialArgs& a) {
  const int64_t n = a.replacement ? a.rows * a.samples : a.rows;
  if (n == 0) return;
  NT_DISPATCH_FLOAT(a.dtype, "multinomial", [&] {
    multinomialKernel<T>
        <<<gridFor(n, kThreads), kThreads, 0, c.stream>>>(a, static_cast<int64_t*>(a.out), static_cast<T*>(a.weights));
    checkLaunch("multinomial");
  });
}

}  // namespace cuda
}  // namespace nt
