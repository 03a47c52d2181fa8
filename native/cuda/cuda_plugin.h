// The boundary between the CPU addon and nodetorch-cuda.so, the CUDA backend
// built as its own shared object (package @nodetorch/linux-x64-cuda): the
// addon opens it with dlopen (native/addon/cuda_plugin_loader.cpp) and calls
// its one exported symbol, nt_cuda_plugin(), for this table of cuda_api.h's
// functions. Both sides are C++ built by the same toolchain, so the table
// passes std::string and the Backend's vtable; what could differ between two
// builds is checked before anything is called: kAbiVersion (this struct and
// the hand-written parts of kernel_api.h: bump it on any change there), the
// hash of the generated kernel table, and the std::string ABI.
#pragma once
#include <cstdint>
#include <string>

#include "common/kernel_table_hash.gen.h"
#include "cuda/cuda_api.h"

namespace nt {
namespace cuda {

constexpr uint32_t kPluginAbiVersion = 2;  // 2: selectDevice and the nccl* entries
#ifdef _GLIBCXX_USE_CXX11_ABI
constexpr uint32_t kStringAbi = _GLIBCXX_USE_CXX11_ABI;
#else
constexpr uint32_t kStringAbi = 0;
#endif

struct Plugin {
  uint32_t abiVersion;
  uint64_t kernelTableHash;
  uint32_t stringAbi;
  uint32_t stringSize;  // sizeof(std::string)
  const char* version;  // nodetorch's version the plugin was built for
  bool (*available)();
  std::string (*unavailableReason)();
  int (*deviceCount)();
  std::string (*infoJson)();
  Backend& (*backend)();
  MemStats (*memStats)();
  void (*emptyCache)();
  void (*setAllowTF32)(bool);
  bool (*allowTF32)();
  std::string (*librariesJson)();
  std::string (*testHook)(const std::string&);
  std::string (*selectDevice)(int);
  std::string (*ncclUnavailableReason)();
  std::string (*ncclLibraryJson)();
  std::string (*ncclUniqueId)(std::string*);
  std::string (*ncclInit)(const std::string&, int, int);
  std::string (*ncclCollective)(const NcclCall&);
  void (*ncclAbort)();
  std::string (*ncclDestroy)();
};

}  // namespace cuda
}  // namespace nt

// The plugin's one exported symbol.
extern "C" const nt::cuda::Plugin* nt_cuda_plugin();
