// Caching device allocator (see allocator_cuda.h for the design).
#include "cuda/allocator_cuda.h"

#include <string>

#include "common/errors.h"
#include "cuda/cuda_check.h"

namespace nt {
namespace cuda {

size_t DeviceAllocator::roundSize(size_t n) {
  if (n <= 4096) return ((n + 511) / 512) * 512;
  size_t p = 1;
  while (p <= n / 2) p <<= 1;  // highest power of two <= n
  const size_t step = p / 8;
  return ((n + step - 1) / step) * step;
}

void* DeviceAllocator::alloc(size_t nbytes) {
  if (nbytes == 0) nbytes = 1;
  const size_t size = roundSize(nbytes);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = free_.find(size);
  if (it != free_.end() && !it->second.empty()) {
    void* p = it->second.back();
    it->second.pop_back();
    live_[p] = size;
    allocated_ += size;
    return p;
  }
  check(cudaSetDevice(device_), "cuda alloc: cudaSetDevice");
  void* p = nullptr;
  cudaError_t e = cudaMalloc(&p, size);
  if (e == cudaErrorMemoryAllocation) {
    cudaGetLastError();  // not sticky: clear it so the next launch check is clean
    emptyCacheLocked();
    e = cudaMalloc(&p, size);
  }
  if (e == cudaErrorMemoryAllocation) {
    cudaGetLastError();
    size_t freeB = 0, totalB = 0;
    cudaMemGetInfo(&freeB, &totalB);
    cudaGetLastError();
    throw Error(ErrorKind::OutOfMemory, "cuda: out of memory allocating " + std::to_string(nbytes) +
                                            " bytes (allocated " + std::to_string(allocated_) + ", reserved " +
                                            std::to_string(reserved_) + ", free " + std::to_string(freeB) +
                                            " of total " + std::to_string(totalB) + ")");
  }
  check(e, "cuda alloc: cudaMalloc");
  live_[p] = size;
  allocated_ += size;
  reserved_ += size;
  return p;
}

void DeviceAllocator::release(void* ptr) {
  if (!ptr) return;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = live_.find(ptr);
  if (it == live_.end()) return;
  const size_t size = it->second;
  live_.erase(it);
  allocated_ -= size;
  free_[size].push_back(ptr);
}

void DeviceAllocator::emptyCache() {
  std::lock_guard<std::mutex> lock(mu_);
  emptyCacheLocked();
}

void DeviceAllocator::emptyCacheLocked() {
  // A cached block has no owner, but a kernel queued before its release may
  // still be using it: wait for the stream before returning memory.
  cudaStreamSynchronize(stream_);
  for (auto& kv : free_) {
    for (void* p : kv.second) {
      if (cudaFree(p) == cudaSuccess) reserved_ -= kv.first;
    }
  }
  free_.clear();
  cudaGetLastError();  // emptying is best effort; do not leave errors behind
}

}  // namespace cuda
}  // namespace nt
