// cuda_api.h for CPU-only builds (node-gyp, or CMake without nvcc): every call
// reports "built without CUDA" and needs no CUDA header.
#include <string>

#include "cuda/cuda_api.h"

namespace nt {
namespace cuda {
namespace {
const char* kReason =
    "nodetorch was built without CUDA (this binary is the CPU-only build: node-gyp, or CMake without nvcc); "
    "rebuild with `npm run build:cuda` on a machine with the CUDA toolkit";
}  // namespace

bool compiled() { return false; }
bool available() { return false; }
std::string unavailableReason() { return kReason; }
int deviceCount() { return 0; }
std::string infoJson() {
  return std::string("{\"compiled\":false,\"available\":false,\"reason\":\"") + kReason +
         "\",\"deviceCount\":0,\"device\":null,\"cublas\":null,\"cudnn\":null,\"allowTF32\":false}";
}
Backend& backend() { throw Error(ErrorKind::NotCompiled, kReason); }
MemStats memStats() { return MemStats{}; }
void emptyCache() {}
void setAllowTF32(bool) {}
bool allowTF32() { return false; }
std::string librariesJson() { return "{\"compiled\":false}"; }
std::string testHook(const std::string&) { throw Error(ErrorKind::NotCompiled, kReason); }

}  // namespace cuda
}  // namespace nt
