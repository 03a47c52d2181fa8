// Caching device allocator: freed blocks go to a per-size-class free list and
// are handed out again without cudaMalloc/cudaFree (both synchronize the
// device). One instance per device; all work runs on that device's single
// stream, so a block freed after queued kernels can be reused by later
// kernels of the same stream without waiting.
#pragma once
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace nt {
namespace cuda {

class DeviceAllocator {
 public:
  DeviceAllocator(int device, cudaStream_t stream) : device_(device), stream_(stream) {}
  ~DeviceAllocator() = default;  // blocks stay with the process (driver frees at exit)

  // Never returns nullptr for nbytes > 0; throws Error(OutOfMemory) after
  // emptying the cache and retrying once.
  void* alloc(size_t nbytes);
  // Returns a block to its free list; unknown pointers are ignored.
  void release(void* ptr);
  // Waits for the stream, then cudaFrees every cached block.
  void emptyCache();

  uint64_t allocated() const { return allocated_; }  // bytes handed out (rounded)
  uint64_t reserved() const { return reserved_; }    // bytes held from cudaMalloc

  // Size class of a request: multiples of 512 B up to 4 KiB, then 8 steps per
  // power of two (at most 12.5% waste).
  static size_t roundSize(size_t nbytes);

 private:
  void emptyCacheLocked();
  int device_;
  cudaStream_t stream_;
  std::mutex mu_;
  std::unordered_map<size_t, std::vector<void*>> free_;  // size class -> cached blocks
  std::unordered_map<void*, size_t> live_;               // block -> size class
  uint64_t allocated_ = 0, reserved_ = 0;
};

// A scratch block for the duration of one launcher (stream-ordered reuse
// makes releasing it right after the launch safe).
class TempBuffer {
 public:
  TempBuffer(DeviceAllocator& a, size_t nbytes) : a_(a), p_(nbytes ? a.alloc(nbytes) : nullptr) {}
  ~TempBuffer() {
    if (p_) a_.release(p_);
  }
  TempBuffer(const TempBuffer&) = delete;
  TempBuffer& operator=(const TempBuffer&) = delete;
  void* get() const { return p_; }

 private:
  DeviceAllocator& a_;
  void* p_;
};

}  // namespace cuda
}  // namespace nt
