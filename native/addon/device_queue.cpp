// See device_queue.h.
#include "device_queue.h"

#include <exception>
#include <new>

#include "common/spin.h"

namespace nt {
namespace addon {

DeferredError runTask(const DeviceQueue::Task& task) {
  try {
    task();
    return {};
  } catch (const Error& e) { return {e.kind(), e.what(), true}; } catch (const std::bad_alloc&) {
    return {ErrorKind::OutOfMemory, "out of host memory (std::bad_alloc)", true};
  } catch (const std::exception& e) { return {ErrorKind::Native, e.what(), true}; } catch (...) {
    return {ErrorKind::Native, "a queued kernel failed with an unknown exception", true};
  }
}

DeviceQueue::DeviceQueue(std::function<void()> onProgress) : onProgress_(std::move(onProgress)) {
  worker_ = std::thread([this] { run(); });
}

DeviceQueue::~DeviceQueue() {
  {
    std::lock_guard<std::mutex> lk(m_);
    stop_ = true;
  }
  workCv_.notify_one();
  if (worker_.joinable()) worker_.join();
}

uint64_t DeviceQueue::submit(std::vector<Task>& tasks) {
  // Backpressure, outside the lock: the worker needs it to make progress.
  const uint64_t before = submitted_.load(std::memory_order_relaxed);
  if (before > kMaxQueued) wait(before - kMaxQueued);
  const uint64_t ticket = before + tasks.size();
  {
    std::lock_guard<std::mutex> lk(m_);
    for (Task& t : tasks) tasks_.push_back(std::move(t));
    submitted_.store(ticket, std::memory_order_release);
  }
  tasks.clear();
  workCv_.notify_one();
  return ticket;
}

void DeviceQueue::recordError(DeferredError e) {
  std::lock_guard<std::mutex> lk(m_);
  if (error_.set) return;
  error_ = std::move(e);
  hasError_.store(true, std::memory_order_release);
}

void DeviceQueue::wait(uint64_t ticket) {
  if (completed() >= ticket) return;
  waiters_.fetch_add(1, std::memory_order_seq_cst);
  std::unique_lock<std::mutex> lk(m_);
  doneCv_.wait(lk, [&] { return completed() >= ticket; });
  waiters_.fetch_sub(1, std::memory_order_relaxed);
}

void DeviceQueue::watch(uint64_t ticket) {
  uint64_t cur = watched_.load(std::memory_order_seq_cst);
  while (ticket < cur && !watched_.compare_exchange_weak(cur, ticket, std::memory_order_seq_cst)) {}
}

DeferredError DeviceQueue::takeError() {
  if (!hasError_.load(std::memory_order_acquire)) return {};
  std::lock_guard<std::mutex> lk(m_);
  DeferredError e = std::move(error_);
  error_ = DeferredError{};
  hasError_.store(false, std::memory_order_release);
  return e;
}

void DeviceQueue::finishOne() {
  const uint64_t done = completed_.fetch_add(1, std::memory_order_seq_cst) + 1;
  if (waiters_.load(std::memory_order_seq_cst) > 0) {
    // Lock so a waiter between its check and its sleep cannot miss this.
    { std::lock_guard<std::mutex> lk(m_); }
    doneCv_.notify_all();
  }
  uint64_t w = watched_.load(std::memory_order_seq_cst);
  if (done >= w && watched_.compare_exchange_strong(w, UINT64_MAX, std::memory_order_seq_cst)) onProgress_();
}

void DeviceQueue::run() {
  for (;;) {
    Task task;
    {
      std::unique_lock<std::mutex> lk(m_);
      if (tasks_.empty() && !stop_) {
        lk.unlock();
        spinFor([&] { return submitted() != completed(); });
        lk.lock();
        workCv_.wait(lk, [&] { return !tasks_.empty() || stop_; });
      }
      if (tasks_.empty()) return;  // stopping, nothing left
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    DeferredError failure;
    try {
      task();
    } catch (const Error& e) { failure = {e.kind(), e.what(), true}; } catch (const std::bad_alloc&) {
      failure = {ErrorKind::OutOfMemory, "out of host memory (std::bad_alloc)", true};
    } catch (const std::exception& e) { failure = {ErrorKind::Native, e.what(), true}; } catch (...) {
      failure = {ErrorKind::Native, "a queued kernel failed with an unknown exception", true};
    }
    task = nullptr;  // release its buffers before the kernel counts as done
    if (failure.set) {
      std::lock_guard<std::mutex> lk(m_);
      if (!error_.set) {
        error_ = std::move(failure);
        hasError_.store(true, std::memory_order_release);
      }
    }
    finishOne();
  }
}

}  // namespace addon
}  // namespace nt
