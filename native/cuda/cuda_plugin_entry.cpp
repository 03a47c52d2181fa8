// nodetorch-cuda.so's entry point: the table of cuda_plugin.h over this
// library's cuda_api.h implementation (cuda_runtime_state.cpp).
#include "cuda/cuda_plugin.h"

#ifndef NT_VERSION
#define NT_VERSION "unknown"
#endif

extern "C" __attribute__((visibility("default"))) const nt::cuda::Plugin* nt_cuda_plugin() {
  using namespace nt::cuda;
  static const Plugin plugin{kPluginAbiVersion, NT_KERNEL_TABLE_HASH,
                             kStringAbi,        uint32_t(sizeof(std::string)),
                             NT_VERSION,        available,
                             unavailableReason, deviceCount,
                             infoJson,          backend,
                             memStats,          emptyCache,
                             setAllowTF32,      allowTF32,
                             librariesJson,     testHook,
                             selectDevice,      ncclUnavailableReason,
                             ncclLibraryJson,   ncclUniqueId,
                             ncclInit,          ncclCollective,
                             ncclAbort,         ncclDestroy};
  return &plugin;
}
