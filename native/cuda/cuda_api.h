// What the addon layer knows of CUDA. Implemented by cuda_runtime_state.cpp
// (CUDA builds) or cuda_stub.cpp (CPU-only builds, every call reports
// "built without CUDA"). Nothing here needs CUDA headers.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/kernel_api.h"

namespace nt {
namespace cuda {

// True when this binary contains the CUDA backend.
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

struct MemStats { uint64_t allocated = 0, reserved = 0; };
MemStats memStats();
void emptyCache();
void setAllowTF32(bool allow);
bool allowTF32();

}  // namespace cuda
}  // namespace nt
