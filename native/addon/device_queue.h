// One device's kernel queue: a worker thread runs submitted tasks in order
// while the JavaScript thread goes on (execution.h decides what is
// submitted and what the JS thread runs itself). Tasks own
// what they touch (copies of the argument struct and references to the
// storage buffers), so a tensor disposed or collected while queued is freed
// after its last kernel. A task that throws records the first error, which
// the next sync point of the device takes (takeError) and raises; the tasks
// after it still run. Thread-safe; waiting never spins the JS thread long.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/errors.h"

namespace nt {
namespace addon {

struct DeferredError {
  ErrorKind kind = ErrorKind::Native;
  std::string message;
  bool set = false;
};

class DeviceQueue {
 public:
  using Task = std::function<void()>;
  // Tasks queued beyond this make submit wait: a loop that never reads a
  // value cannot run ahead without bound (each task holds its outputs).
  static constexpr uint64_t kMaxQueued = 256;

  // `onProgress` runs on the worker when the completed count reaches the
  // watched ticket (see watch); it must not block.
  explicit DeviceQueue(std::function<void()> onProgress);
  // Runs what is still queued, then joins the worker.
  ~DeviceQueue();
  DeviceQueue(const DeviceQueue&) = delete;
  DeviceQueue& operator=(const DeviceQueue&) = delete;

  // Enqueues `tasks` in order (emptying it); returns the last one's ticket
  // (tickets count from 1).
  uint64_t submit(std::vector<Task>& tasks);
  // Records a failure of a task run elsewhere in queue order (the caller
  // runs tasks itself once the worker is idle).
  void recordError(DeferredError e);
  uint64_t submitted() const { return submitted_.load(std::memory_order_acquire); }
  uint64_t completed() const { return completed_.load(std::memory_order_acquire); }
  // Blocks until every task up to `ticket` has run.
  void wait(uint64_t ticket);
  void drain() { wait(submitted()); }
  // Asks for onProgress once completed() >= ticket (the lowest asked wins).
  // The caller checks completed() again after calling this.
  void watch(uint64_t ticket);
  // The first error since the last take; `set` is false when there is none.
  DeferredError takeError();

 private:
  void run();
  void finishOne();

  std::function<void()> onProgress_;
  std::mutex m_;
  std::condition_variable workCv_;
  std::condition_variable doneCv_;
  std::deque<Task> tasks_;
  bool stop_ = false;
  std::atomic<uint64_t> submitted_{0};
  std::atomic<uint64_t> completed_{0};
  std::atomic<uint64_t> watched_{UINT64_MAX};
  std::atomic<int> waiters_{0};
  std::atomic<bool> hasError_{false};
  DeferredError error_;  // guarded by m_
  std::thread worker_;
};

// Runs a task, turning what it throws into a DeferredError.
DeferredError runTask(const DeviceQueue::Task& task);

}  // namespace addon
}  // namespace nt
