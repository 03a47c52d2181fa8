// Per-device state shared by the CUDA backend's files: stream, allocator,
// library handles, the device error flag. Owned by cuda_runtime_state.cpp;
// created on the first successful available() and kept for the process.
#pragma once
#include <cuda_runtime_api.h>

#include <cstdint>
#include <mutex>

#include "common/index_error_record.h"
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
  std::mutex* cublasMutex = nullptr;  // math mode + call must not interleave
  const CudnnApi* cudnn = nullptr;    // null when cuDNN is not loaded
  cudnnHandle_t cudnnHandle = nullptr;
  // cuDNN forbids concurrent use of one handle; Node worker threads share it.
  std::mutex* cudnnMutex = nullptr;
  // Data-dependent errors (bad index values), reported at the next sync
  // point (common/index_error_record.h): errFlag holds the lowest bad
  // position of the launch being checked (kNoBadIndex when none), errRecord
  // the first error not yet reported. errFlagMutex keeps one thread's check
  // and commit kernels adjacent on the stream.
  int64_t* errFlag = nullptr;             // device, 1 entry
  IndexErrorRecord* errRecord = nullptr;  // device, 1 entry
  std::mutex* errFlagMutex = nullptr;
};

// The state of device 0; throws Error(Cuda) with unavailableReason() when
// CUDA cannot be used.
const Ctx& ctx();

}  // namespace cuda
}  // namespace nt
