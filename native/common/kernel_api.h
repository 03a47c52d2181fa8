// The contract between the addon layer and every backend (CPU, CUDA).
//
// The addon validates everything memory safety depends on (handle tags,
// dtypes, devices, element counts against byte lengths, index ranges where
// cheap) and then calls a backend with one of the argument structs of
// kernel_args.gen.h, generated from native/op_table.js. Backends see only
// pointers, sizes and strides. Each kernel of NT_KERNEL_LIST is a pure
// virtual of Backend, so a backend that misses one does not compile.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "dtype.h"
#include "errors.h"
#include "kernel_args.gen.h"
#include "tensor_view.h"

namespace nt {

// A backend owns its memory and runs kernels. Errors are thrown as nt::Error.
class Backend {
 public:
  virtual ~Backend() = default;
  virtual DeviceType device() const = 0;
  virtual const char* name() const = 0;

  // Memory. alloc never returns nullptr for nbytes > 0 (throws OutOfMemory).
  virtual void* alloc(size_t nbytes) = 0;
  virtual void release(void* ptr, size_t nbytes) = 0;
  virtual void copyFromHost(void* dst, const void* src, size_t nbytes) = 0;
  virtual void copyToHost(void* dst, const void* src, size_t nbytes) = 0;
  virtual void synchronize() = 0;
  // Blocks until the device's launched work has finished; callable from any
  // thread, reports nothing (the next synchronize or copy does).
  virtual void waitForWork() {}

#define NT_DECLARE_KERNEL(name, Args) virtual void name(const Args& args) = 0;
  NT_KERNEL_LIST(NT_DECLARE_KERNEL)
#undef NT_DECLARE_KERNEL
};

// Names of NT_KERNEL_LIST, in order.
const std::vector<std::string>& kernelNames();

// The CPU backend always exists.
Backend& cpuBackend();

}  // namespace nt
