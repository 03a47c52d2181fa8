// Per-environment state of the addon (one per Node main thread or worker):
// the JS error classes, the shared argument buffer, live-tensor counters and
// the kernel queues.
// Context-aware: nothing here is process-global, so worker_threads work.
#pragma once
#include <napi.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>

#include "common/errors.h"

namespace nt {
namespace addon {

// Doubles in the shared argument buffer: shapes, strides, offsets and scalars
// of one kernel call are written here by JS instead of being passed as JS
// arrays (one N-API call per kernel instead of dozens of element reads).
constexpr size_t kArgSlots = 16384;

// Counters shared with every storage record of the environment; records may be
// finalized after the environment state is gone, hence shared ownership.
struct LiveStats {
  std::atomic<int64_t> tensors[2] = {{0}, {0}};
  std::atomic<int64_t> bytes[2] = {{0}, {0}};
};

class Execution;  // execution.h

struct AddonState {
  std::array<Napi::FunctionReference, kNumErrorKinds> errorClasses;
  bool errorClassesSet = false;
  Napi::Reference<Napi::Float64Array> argsRef;
  // Owned here, not by V8: JS can detach (transfer) the args ArrayBuffer,
  // after which V8 would free memory the addon still reads.
  std::unique_ptr<double[]> argsStorage;
  double* args = nullptr;
  std::shared_ptr<LiveStats> stats = std::make_shared<LiveStats>();
  // Last, so it is destroyed first: its queues' kernels still release buffers.
  std::unique_ptr<Execution> execution;
};

AddonState& state(Napi::Env env);

// Throws a JS error of the project's class for `kind` (plain Error until
// setErrorClasses has been called).
[[noreturn]] void throwJs(Napi::Env env, ErrorKind kind, const std::string& message);

// Runs `body`, translating nt::Error / std::exception into typed JS errors.
template <typename F>
auto guarded(Napi::Env env, F&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const Napi::Error&) { throw; } catch (const Error& e) {
    throwJs(env, e.kind(), e.what());
  } catch (const std::bad_alloc&) {
    throwJs(env, ErrorKind::OutOfMemory, "out of host memory (std::bad_alloc)");
  } catch (const std::exception& e) { throwJs(env, ErrorKind::Native, e.what()); }
}

}  // namespace addon
}  // namespace nt
