// Per-device state shared by the CUDA backend's files: stream, allocator,
// library handles, the device error flag. Owned by cuda_runtime_state.cpp;
// created on the first successful available() and kept for the process.
#pragma once
#include <cuda_runtime_api.h>

#include <cstdint>
#include <mutex>

#include "cuda/allocator_cuda.h"
#include "cuda/dynload.h"

namespace nt {
namespace cuda {

struct Ctx {
  int device = 0;
  // One non-blocking stream per device: every kernel, copy and library call
  // goes to it, so work is ordered without device-wide syncs, and the legacy
  // default stream (which other code in the process may use) never
  // serializes with us. Host copies therefore use cudaMemcpyAsync on this
  // stream (plain cudaMemcpy would run on the legacy stream, unordered).
  cudaStream_t stream = nullptr;
  int smCount = 1;
  DeviceAllocator* alloc = nullptr;
  const CublasApi* cublas = nullptr;
  cublasHandle_t cublasHandle = nullptr;
  std::mutex* cublasMutex = nullptr;   // math mode + call must not interleave
  const CudnnApi* cudnn = nullptr;     // null when cuDNN is not loaded
  cudnnHandle_t cudnnHandle = nullptr;
  // Data-dependent errors (bad index values): a check kernel stores the
  // lowest bad position here; findBadIndex reads it back.
  int64_t* errFlag = nullptr;       // device, 1 entry
  int64_t* errFlagHost = nullptr;   // pinned host, 2 entries
  std::mutex* errFlagMutex = nullptr;
};

// The state of device 0; throws Error(Cuda) with unavailableReason() when
// CUDA cannot be used.
const Ctx& ctx();

}  // namespace cuda
}  // namespace nt
