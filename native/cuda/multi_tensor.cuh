// The multi-tensor apply of the fused optimizers (optim.cu,
// optim_adaptive.cu): tensor pointers and sizes travel by value as kernel
// parameters, like PyTorch's multi_tensor_apply, so a step needs no
// host->device upload and no synchronization. Each block owns one
// kChunk-element chunk of one tensor and finds it by binary search over the
// chunk prefix sums.
#pragma once
#include <cuda_runtime.h>

#include <string>
#include <vector>

#include "common/errors.h"

namespace nt {
namespace cuda {

constexpr int kMaxTensors = 40;   // keeps each metadata struct under the 4 KiB parameter limit
constexpr int64_t kChunk = 8192;  // elements per block

template <int N>
struct ChunkIndex {
  int n;
  int64_t numel[kMaxTensors];
  int64_t chunkStart[kMaxTensors + 1];  // prefix sums of chunks per tensor
  void* ptr[N][kMaxTensors];
};

// The tensor whose chunk range holds this block (largest k with start <= b).
template <int N>
__device__ __forceinline__ int findTensor(const ChunkIndex<N>& m, int64_t b) {
  int lo = 0, hi = m.n - 1;
  while (lo < hi) {
    const int mid = (lo + hi + 1) >> 1;
    if (m.chunkStart[mid] <= b) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

inline void checkList(size_t n, size_t got, const char* op, const char* list) {
  if (got != n)
    throw Error(ErrorKind::Argument,
                std::string(op) + ": expected " + std::to_string(n) + " " + list + ", got " + std::to_string(got));
}

// Packs tensors into ChunkIndex batches and calls launch(meta, blocks) per batch.
template <int N, typename Launch>
void forEachBatch(const std::vector<int64_t>& numels, const std::vector<void*>* lists[N], Launch launch) {
  ChunkIndex<N> m{};
  auto flush = [&] {
    if (m.n == 0) return;
    launch(m, m.chunkStart[m.n]);
    m = ChunkIndex<N>{};
  };
  for (size_t t = 0; t < numels.size(); ++t) {
    if (numels[t] <= 0) continue;
    const int k = m.n;
    m.numel[k] = numels[t];
    for (int q = 0; q < N; ++q) m.ptr[q][k] = lists[q] ? (*lists[q])[t] : nullptr;
    m.chunkStart[k + 1] = m.chunkStart[k] + (numels[t] + kChunk - 1) / kChunk;
    m.n = k + 1;
    if (m.n == kMaxTensors) flush();
  }
  flush();
}

// One block per chunk: op(m, k, i) updates element i of tensor k, for the
// elements of this block's chunk.
template <int N, class Op>
__global__ void multiTensorKernel(ChunkIndex<N> m, Op op) {
  const int k = findTensor(m, blockIdx.x);
  const int64_t begin = (int64_t(blockIdx.x) - m.chunkStart[k]) * kChunk;
  const int64_t end = m.numel[k] < begin + kChunk ? m.numel[k] : begin + kChunk;
  for (int64_t i = begin + threadIdx.x; i < end; i += blockDim.x) op(m, k, i);
}

}  // namespace cuda
}  // namespace nt
