// What the addon layer knows of CUDA. Implemented in nodetorch-cuda.so by
// cuda_runtime_state.cpp, and in the CPU addon by
// native/addon/cuda_plugin_loader.cpp, which forwards to that library when it
// finds one that matches (cuda_plugin.h) and otherwise reports why not.
// Nothing here needs CUDA headers.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/kernel_api.h"

namespace nt {
namespace cuda {

// True when the CUDA backend (nodetorch-cuda.so) is loaded.
bool compiled();
// Probes once (driver, device, cuBLAS, optional cuDNN); true when usable.
bool available();
// Why CUDA is not used: names what was missing and which sonames/paths were
// tried. Empty when available().
std::string unavailableReason();
int deviceCount();
// JSON object: device name, capability, memory, driver/runtime versions,
// libraries loaded (path and version), cuDNN presence.
std::string infoJson();
// The CUDA backend; throws Error(NotCompiled / Cuda) when unusable.
Backend& backend();

struct MemStats {
  uint64_t allocated = 0, reserved = 0;
};
MemStats memStats();
void emptyCache();
void setAllowTF32(bool allow);
bool allowTF32();

// JSON: where cuBLAS / cuDNN were found (or the error listing every folder
// tried), the folders searched in order, the site-packages examined, and
// the driver floor. Loads the libraries if needed; needs no GPU or driver.
std::string librariesJson();
// Test hooks that exercise host-side paths without a GPU (JSON result):
//   "cudnn-fallback": loads cuDNN (a stub, in the tests) and runs the cuDNN
//   activation/softmax entries on a device-less context.
//   "cudnn-conv": the cuDNN conv2d entries on a device-less context (against
//   a stub that records its arguments).
std::string testHook(const std::string& name);

// The device CUDA uses: localRank modulo the device count (the nccl
// backend's rule). Must come before the first CUDA use; "" on success, else
// why not (CUDA unusable, or already running on another device).
std::string selectDevice(int localRank);

// NCCL (nodetorch-cuda.so's nccl_comm.cpp; libnccl.so.2 opened at run time).
// One communicator per process, driven by the process group's communication
// thread (native/distributed). Functions returning std::string return "" on
// success, else the error.
struct NcclCall {
  enum Kind { AllReduce = 0, Broadcast = 1, AllGather = 2, ReduceScatter = 3, Barrier = 4 };
  int kind = Barrier;
  int op = 0;         // 0 sum, 1 avg, 2 max, 3 min
  int root = 0;       // broadcast's source rank
  int dtype = 0;      // DType code
  int64_t count = 0;  // elements per rank (the output's for reduceScatter)
  void* in = nullptr;
  void* out = nullptr;
  int64_t timeoutMs = 0;  // then the communicator is aborted
};
// Why the nccl backend cannot run here ("" when it can): no usable CUDA
// device (with CUDA's reason), or libnccl.so.2 missing (every path tried),
// incomplete or older than 2.10.3.
std::string ncclUnavailableReason();
// JSON {path, version, error}: loads libnccl.so.2 without needing a device.
std::string ncclLibraryJson();
std::string ncclUniqueId(std::string* id);  // 128 bytes into *id
std::string ncclInit(const std::string& id, int rank, int size);
// Enqueues the collective on CUDA's stream and waits for it (see nccl_comm.cpp).
std::string ncclCollective(const NcclCall& call);
void ncclAbort();
std::string ncclDestroy();

}  // namespace cuda
}  // namespace nt
