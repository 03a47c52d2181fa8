// Tensors across worker_threads: a storage shared by one environment (the
// main thread or a worker) and adopted by another, as shared memory, not a
// copy. Every environment has its own AddonState and queues, but the addon is
// loaded once per process, so the registry below is process-global (a mutex
// guards it) and every environment sees it.
//
//   shareStorage(handle) -> token   waits for the sender's queued kernels on
//                                   the handle's device, then registers a
//                                   strong reference to its buffer
//   adoptStorage(token) -> handle   removes the entry (one adoption per share)
//                                   and wraps the same buffer in a handle of
//                                   the receiving environment
//   releaseShared(token) -> bool    drops an entry that will never be adopted
//
// The buffer goes back to its allocator when the last of the sender's handle,
// the registry entry and the receiver's handle (and their queued kernels) is
// gone. The registry is never destroyed: an entry never adopted nor released
// keeps its memory until the process exits (no allocator call at exit).
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <unordered_map>
#include <utility>

#include "arg_reader.h"
#include "execution.h"
#include "kernel_bindings.h"
#include "storage.h"

namespace nt {
namespace addon {
namespace {

struct SharedEntry {
  std::shared_ptr<Buffer> buffer;  // null for an empty storage
  DType dtype = DType::Float32;
  int64_t numel = 0;
  DeviceType device = DeviceType::CPU;
};

class Registry {
 public:
  std::string add(SharedEntry entry) {
    std::lock_guard<std::mutex> lock(m_);
    std::string token;
    do token = freshToken();
    while (entries_.count(token));
    entries_.emplace(token, std::move(entry));
    return token;
  }

  // Removes and returns the entry; false when there is none.
  bool take(const std::string& token, SharedEntry& out) {
    std::lock_guard<std::mutex> lock(m_);
    auto it = entries_.find(token);
    if (it == entries_.end()) return false;
    out = std::move(it->second);
    entries_.erase(it);
    return true;
  }

 private:
  // 128 bits from the OS's random source: a token cannot be guessed from
  // another one, so only the thread it was posted to can adopt it.
  std::string freshToken() {
    char hex[40];
    const uint32_t a = rd_(), b = rd_(), c = rd_(), d = rd_();
    std::snprintf(hex, sizeof hex, "%08x%08x%08x%08x", a, b, c, d);
    return std::string("nts-") + hex;
  }

  std::mutex m_;
  std::random_device rd_;
  std::unordered_map<std::string, SharedEntry> entries_;
};

// Leaked on purpose: destroying it at process exit would release buffers
// after the allocators (other statics) may be gone.
Registry& registry() {
  static Registry* r = new Registry();
  return *r;
}

std::string tokenArg(const Napi::CallbackInfo& info, const char* op) {
  if (!info[0].IsString()) {
    argError(op, std::string("expected the token string of a shared tensor (from t.share()), got ") +
                     (info[0].IsUndefined() ? "undefined"
                      : info[0].IsNull()    ? "null"
                                            : "another value"));
  }
  return info[0].As<Napi::String>().Utf8Value();
}

// shareStorage(handle) -> token
Napi::Value ShareStorage(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    const char* op = "share";
    StorageRecord& rec = unwrapStorage(info, 0, op);
    // Every kernel this environment queued (writes to this storage included)
    // has run before the other thread can see the buffer; a deferred kernel
    // error is raised here, not in the receiver.
    execution(info.Env()).sync(rec.device);
    if (rec.device == DeviceType::CUDA) backendFor(rec.device).synchronize();
    return Napi::String::New(info.Env(), registry().add({rec.buffer, rec.dtype, rec.numel, rec.device}));
  });
}

// adoptStorage(token) -> handle over the same buffer, in this environment
Napi::Value AdoptStorage(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    const char* op = "fromShared";
    const std::string token = tokenArg(info, op);
    SharedEntry entry;
    if (!registry().take(token, entry)) {
      argError(op,
               "expected the token of a shared tensor not yet adopted, got a token that was already adopted, "
               "released or never issued; call t.share() once per receiver (each share is adopted once)");
    }
    return wrapBuffer(info.Env(), std::move(entry.buffer), entry.device, entry.dtype, entry.numel);
  });
}

// releaseShared(token) -> true when an entry was dropped
Napi::Value ReleaseShared(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    SharedEntry entry;
    const bool found = registry().take(tokenArg(info, "releaseShared"), entry);
    entry.buffer.reset();  // here, outside the registry's lock
    return Napi::Boolean::New(info.Env(), found);
  });
}

}  // namespace

void registerShareBindings(Napi::Env env, Napi::Object exports) {
  exports.Set("shareStorage", Napi::Function::New(env, ShareStorage, "shareStorage"));
  exports.Set("adoptStorage", Napi::Function::New(env, AdoptStorage, "adoptStorage"));
  exports.Set("releaseShared", Napi::Function::New(env, ReleaseShared, "releaseShared"));
}

}  // namespace addon
}  // namespace nt
