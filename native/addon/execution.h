// Where kernels run. An op's kernel is validated on the JS thread and then
// recorded, not run: CPU kernels join the environment's pending batch, CUDA
// kernels are launched onto the stream (that device's queue). The batch runs
//  - on the JS thread itself at a sync point (toArray, item, a transfer to or
//    from the CPU, synchronizeSync, a large allocation): a synchronous loop
//    then runs exactly as it would inline, with no thread hand-off;
//  - on the CPU queue's worker thread (device_queue.h) when the JS thread
//    waits without blocking (whenIdle: itemAsync, dataAsync, synchronize) or
//    returns to the event loop; a batch that reaches kMaxBatch kernels goes
//    to the worker in a program that has awaited, else runs on the JS thread.
// Either way kernels run in the order they were launched, one at a time, and
// a kernel's failure is deferred to the next sync point (its typed error,
// raised once). NODETORCH_SYNC=1 runs every kernel at its call.
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
  // Kernels recorded before the batch goes to the worker: bounds how far the
  // JS thread runs ahead (each kernel holds its outputs) without a read.
  static constexpr size_t kMaxBatch = 256;

  explicit Execution(Napi::Env env);
  ~Execution();
  Execution(const Execution&) = delete;
  Execution& operator=(const Execution&) = delete;

  // Adds a CPU kernel to the pending batch (launch() below decides).
  void record(DeviceQueue::Task task);
  bool defers(DeviceType device) const { return device == DeviceType::CPU && !inline_; }
  // Runs everything launched on the device and throws its first deferred error.
  void sync(DeviceType device);
  // Same without raising: the caller changes state the kernels use.
  void quiesce(DeviceType device);
  Napi::Promise whenIdle(Napi::Env env, DeviceType device);
  // Hands the pending batch to the worker thread.
  void submitPending();
  // Runs on the JS thread when a watched ticket is reached.
  void settle(Napi::Env env, DeviceType device);
  // Joins the queues (environment cleanup, before JS is gone).
  void stop();

 private:
  struct Waiter {
    uint64_t ticket;
    Napi::Promise::Deferred deferred;
  };
  DeviceQueue& queue(DeviceType device);
  void runPendingHere();
  bool inline_;
  Napi::ThreadSafeFunction progress_;
  std::unique_ptr<DeviceQueue> queues_[2];
  std::vector<DeviceQueue::Task> pending_;  // CPU kernels not yet run or submitted
  bool flushScheduled_ = false;
  bool awaits_ = false;  // whenIdle was called: this program reads without blocking
  std::vector<Waiter> waiters_[2];
  bool referenced_ = false;
  bool stopped_ = false;
};

Execution& execution(Napi::Env env);

// Launches `kernel(backend)` on `device`, keeping `keep` alive until it has run.
template <class F>
void launch(Napi::Env env, DeviceType device, Keep keep, F kernel) {
  Execution& ex = execution(env);
  if (!ex.defers(device)) {
    kernel(backendFor(device));
    return;
  }
  ex.record([kernel = std::move(kernel), keep = std::move(keep)]() { kernel(cpuBackend()); });
}

}  // namespace addon
}  // namespace nt
