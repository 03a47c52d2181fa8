// Storage handles: the only native objects JS holds. A handle is a
// type-tagged napi External owning one device buffer (dtype, device, element
// count; no shape). dispose() or, failing that, the GC finalizer drops the
// handle's reference to the buffer; queued kernels hold their own, so the
// memory goes back to the allocator after the last of them has run. V8 is
// told the size so garbage is collected under load.
#pragma once
#include <napi.h>

#include <memory>

#include "addon_state.h"
#include "common/kernel_api.h"

namespace nt {
namespace addon {

// One device allocation, returned to its backend's allocator when the last
// reference (the handle's, or a queued kernel's) goes.
struct Buffer {
  Buffer(void* p, size_t n, DeviceType d) : ptr(p), nbytes(n), device(d) {}
  ~Buffer();
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  void* ptr;
  size_t nbytes;
  DeviceType device;
};

struct StorageRecord {
  void* ptr = nullptr;  // buffer->ptr, or nullptr once freed (or when empty)
  std::shared_ptr<Buffer> buffer;
  size_t nbytes = 0;
  int64_t numel = 0;
  DType dtype = DType::Float32;
  DeviceType device = DeviceType::CPU;
  bool freed = false;
  std::shared_ptr<LiveStats> stats;
};

Backend& backendFor(DeviceType device);

// Allocates numel elements and returns the tagged handle.
Napi::External<StorageRecord> newStorage(Napi::Env env, DeviceType device, DType dtype, int64_t numel);
// A new handle of this environment over an existing buffer (null when numel
// is 0), counted in the environment's live stats: newStorage's second half,
// and how a buffer shared by another environment is adopted
// (shared_storage.cpp). The buffer must hold exactly numel elements.
Napi::External<StorageRecord> wrapBuffer(Napi::Env env, std::shared_ptr<Buffer> buffer, DeviceType device, DType dtype,
                                         int64_t numel);

// Unwraps argument `index` of `info` as a live storage handle, or throws a
// typed JS error naming `op` and the argument position.
StorageRecord& unwrapStorage(const Napi::CallbackInfo& info, size_t index, const char* op);
// Same, for a value taken from an array argument.
StorageRecord& unwrapStorageValue(Napi::Env env, Napi::Value v, const char* op, const char* what);

// Frees the buffer now (idempotent); the handle stays valid as "disposed".
void disposeStorage(Napi::Env env, StorageRecord& rec);

}  // namespace addon
}  // namespace nt
