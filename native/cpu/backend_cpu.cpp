// The CPU backend: memory from the caching host allocator, kernels from the
// cpu/*.cpp files (declared in kernels_cpu.h, GEMM in gemm.h).
#include <cstring>
#include <string>
#include <vector>

#include "common/kernel_api.h"
#include "cpu/allocator.h"
#include "cpu/gemm.h"
#include "cpu/kernels_cpu.h"

namespace nt {
namespace {

class CpuBackend final : public Backend {
 public:
  DeviceType device() const override { return DeviceType::CPU; }
  const char* name() const override { return "cpu"; }

  void* alloc(size_t nbytes) override { return cpu::hostAlloc(nbytes); }
  void release(void* ptr, size_t nbytes) override { cpu::hostRelease(ptr, nbytes); }
  void copyFromHost(void* dst, const void* src, size_t nbytes) override {
    if (nbytes) std::memcpy(dst, src, nbytes);
  }
  void copyToHost(void* dst, const void* src, size_t nbytes) override {
    if (nbytes) std::memcpy(dst, src, nbytes);
  }
  void synchronize() override {}  // CPU kernels finish before returning

#define NT_CPU_KERNEL(kname, Args) \
  void kname(const Args& args) override { cpu::kname(args); }
  NT_KERNEL_LIST(NT_CPU_KERNEL)
#undef NT_CPU_KERNEL
};

}  // namespace

const std::vector<std::string>& kernelNames() {
#define NT_KERNEL_NAME(kname, Args) #kname,
  static const std::vector<std::string>* names = new std::vector<std::string>{NT_KERNEL_LIST(NT_KERNEL_NAME)};
#undef NT_KERNEL_NAME
  return *names;
}

// Leaked on purpose: storages freed by finalizers late in process exit may
// still call release() after static destructors would have run.
Backend& cpuBackend() {
  static Backend* b = new CpuBackend();
  return *b;
}

}  // namespace nt
