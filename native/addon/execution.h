// Where kernels run. CPU kernels go to the environment's CPU queue (a worker
// thread, device_queue.h), so the JS thread returns as soon as a kernel is
// validated and enqueued. CUDA kernels are launched at once onto the CUDA
// stream, which is that device's queue. Reading values (toArray, item, a
// transfer to or from the CPU) is a sync point: it waits for the device's
// queued work and raises the first deferred kernel error as a typed error.
// whenIdle resolves a promise when the work queued so far has run, without
// blocking the JS thread. NODETORCH_SYNC=1 runs every kernel at its call.
#pragma once
#include <napi.h>

#include <initializer_list>
#include <memory>
#include <utility>
#include <vector>

#include "common/kernel_api.h"
#include "device_queue.h"
#include "storage.h"

namespace nt {
namespace addon {

// The buffers a queued kernel touches, kept alive until it has run.
using Keep = std::vector<std::shared_ptr<Buffer>>;
Keep keepOf(std::initializer_list<const StorageRecord*> records,
            std::initializer_list<const std::vector<StorageRecord*>*> lists = {});

class Execution {
 public:
  explicit Execution(Napi::Env env);
  ~Execution();
  Execution(const Execution&) = delete;
  Execution& operator=(const Execution&) = delete;

  // True when a CPU kernel runs on the caller's thread (NODETORCH_SYNC=1).
  bool runsInline() const { return inline_; }
  DeviceQueue& queue(DeviceType device);
  // Waits for the device's queued kernels and throws the first deferred error.
  void sync(DeviceType device);
  // Waits without raising: the caller changes state the kernels use.
  void quiesce(DeviceType device);
  Napi::Promise whenIdle(Napi::Env env, DeviceType device);
  // Runs on the JS thread when a watched ticket is reached.
  void settle(Napi::Env env, DeviceType device);
  // Joins the queues (environment cleanup, before JS is gone).
  void stop();

 private:
  struct Waiter {
    uint64_t ticket;
    Napi::Promise::Deferred deferred;
  };
  bool inline_;
  Napi::ThreadSafeFunction progress_;
  std::unique_ptr<DeviceQueue> queues_[2];
  std::vector<Waiter> waiters_[2];
  bool referenced_ = false;
  bool stopped_ = false;
};

Execution& execution(Napi::Env env);

// Runs `kernel(backend)` on the device's queue (CPU) or at once (CUDA, or
// inline mode), keeping `keep` alive until it has run.
template <class F>
void launch(Napi::Env env, DeviceType device, Keep keep, F kernel) {
  Execution& ex = execution(env);
  if (device != DeviceType::CPU || ex.runsInline()) {
    kernel(backendFor(device));
    return;
  }
  ex.queue(device).submit([kernel = std::move(kernel), keep = std::move(keep)]() { kernel(cpuBackend()); });
}

}  // namespace addon
}  // namespace nt
