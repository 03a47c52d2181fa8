// Storage handle lifetime and validation. See storage.h.
#include "storage.h"

#include <string>

#include "cuda/cuda_api.h"
#include "execution.h"

namespace nt {
namespace addon {
namespace {

// Random 128-bit tag: napi_unwrap of an External does not check what it
// points to, so every handle is tagged and checked before use.
const napi_type_tag kStorageTag = {0x6e6f6465746f7263ULL, 0x9d3c2f1a7b5e4c81ULL};

constexpr size_t kDrainBeforeBytes = size_t(16) << 20;

void releaseRecord(Napi::BasicEnv env, StorageRecord* rec, bool adjust) {
  if (rec->freed) return;
  rec->freed = true;
  const int dev = static_cast<int>(rec->device);
  rec->buffer.reset();  // freed now unless a queued kernel still holds it
  rec->ptr = nullptr;
  rec->stats->tensors[dev]--;
  rec->stats->bytes[dev] -= static_cast<int64_t>(rec->nbytes);
  if (adjust && rec->nbytes) { Napi::MemoryManagement::AdjustExternalMemory(env, -static_cast<int64_t>(rec->nbytes)); }
}

// A basic (GC-time) finalizer: built with NAPI_EXPERIMENTAL, Node runs it
// during garbage collection itself instead of in a later setImmediate, so a
// synchronous training loop that never yields to the event loop still gets
// its collected tensors' memory back. It touches no JS: it returns the buffer
// to the allocator and adjusts V8's external-memory count (a basic-env API).
void finalizeRecord(Napi::BasicEnv env, StorageRecord* rec) {
  releaseRecord(env, rec, true);
  delete rec;
}

}  // namespace

Buffer::~Buffer() {
  if (!ptr) return;
  try {
    backendFor(device).release(ptr, nbytes);
  } catch (...) {
    // Releasing must never throw out of a finalizer or a queue worker; the
    // allocator reports its own errors on the next allocation.
  }
}

Backend& backendFor(DeviceType device) {
  if (device == DeviceType::CUDA) return cuda::backend();
  return cpuBackend();
}

Napi::External<StorageRecord> newStorage(Napi::Env env, DeviceType device, DType dtype, int64_t numel) {
  if (numel < 0) throw Error(ErrorKind::Argument, "alloc: element count must be >= 0, got " + std::to_string(numel));
  const size_t item = dtypeSize(dtype);
  // Refuse sizes whose byte count would overflow or exceed any real memory.
  if (static_cast<uint64_t>(numel) > (uint64_t(1) << 50) / item) {
    throw Error(ErrorKind::OutOfMemory, "alloc: " + std::to_string(numel) + " elements of " + dtypeName(dtype) +
                                            " exceed the addressable size");
  }
  const size_t nbytes = static_cast<size_t>(numel) * item;
  // Queued kernels keep the buffers they use: before a large allocation, let
  // them finish, so temporaries the JS thread already dropped are freed first
  // and running ahead never holds several large buffers at once.
  if (device == DeviceType::CPU && nbytes >= kDrainBeforeBytes) execution(env).quiesce(device);
  std::shared_ptr<Buffer> buffer;
  if (nbytes) buffer = std::make_shared<Buffer>(backendFor(device).alloc(nbytes), nbytes, device);
  return wrapBuffer(env, std::move(buffer), device, dtype, numel);
}

Napi::External<StorageRecord> wrapBuffer(Napi::Env env, std::shared_ptr<Buffer> buffer, DeviceType device, DType dtype,
                                         int64_t numel) {
  const size_t nbytes = static_cast<size_t>(numel) * dtypeSize(dtype);
  if (numel < 0 || (buffer ? buffer->nbytes != nbytes || buffer->device != device : nbytes != 0)) {
    throw Error(ErrorKind::Native, "storage: a buffer does not match its element count, dtype or device");
  }
  auto rec = std::make_unique<StorageRecord>();
  rec->buffer = std::move(buffer);
  if (rec->buffer) rec->ptr = rec->buffer->ptr;
  rec->nbytes = nbytes;
  rec->numel = numel;
  rec->dtype = dtype;
  rec->device = device;
  rec->stats = state(env).stats;
  const int dev = static_cast<int>(device);
  rec->stats->tensors[dev]++;
  rec->stats->bytes[dev] += static_cast<int64_t>(nbytes);
  StorageRecord* raw = rec.release();
  Napi::External<StorageRecord> ext;
  try {
    ext = Napi::External<StorageRecord>::New(env, raw, finalizeRecord);
  } catch (...) {
    releaseRecord(env, raw, false);
    delete raw;
    throw;
  }
  ext.TypeTag(&kStorageTag);
  if (nbytes) Napi::MemoryManagement::AdjustExternalMemory(env, static_cast<int64_t>(nbytes));
  return ext;
}

StorageRecord& unwrapStorageValue(Napi::Env env, Napi::Value v, const char* op, const char* what) {
  if (!v.IsExternal()) {
    throw Error(ErrorKind::Argument, std::string(op) + ": " + what + " must be a storage handle, got " +
                                         (v.IsUndefined() ? "undefined"
                                          : v.IsNull()    ? "null"
                                                          : "another value"));
  }
  auto ext = v.As<Napi::External<StorageRecord>>();
  if (!ext.CheckTypeTag(&kStorageTag)) {
    throw Error(ErrorKind::Argument, std::string(op) + ": " + what + " is not a nodetorch storage handle");
  }
  StorageRecord* rec = ext.Data();
  if (rec->freed) { throw Error(ErrorKind::Disposed, std::string(op) + ": " + what + " uses a disposed tensor"); }
  return *rec;
}

StorageRecord& unwrapStorage(const Napi::CallbackInfo& info, size_t index, const char* op) {
  // Fast path without building the argument's name; the slow path names it.
  Napi::Value v = info[index];
  if (v.IsExternal()) {
    auto ext = v.As<Napi::External<StorageRecord>>();
    if (ext.CheckTypeTag(&kStorageTag) && !ext.Data()->freed) return *ext.Data();
  }
  const std::string what = "argument " + std::to_string(index);
  return unwrapStorageValue(info.Env(), v, op, what.c_str());
}

void disposeStorage(Napi::Env env, StorageRecord& rec) { releaseRecord(env, &rec, true); }

}  // namespace addon
}  // namespace nt
