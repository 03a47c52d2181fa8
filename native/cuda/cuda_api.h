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

}  // namespace cuda
}  // namespace nt
