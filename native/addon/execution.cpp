// See execution.h.
#include "execution.h"

#include <cstdlib>
#include <cstring>

namespace nt {
namespace addon {
namespace {

bool inlineFromEnv() {
  const char* v = std::getenv("NODETORCH_SYNC");
  return v && *v && std::strcmp(v, "0") != 0;
}

int slot(DeviceType d) { return d == DeviceType::CUDA ? 1 : 0; }

Napi::Value errorValue(Napi::Env env, const DeferredError& e) {
  try {
    throwJs(env, e.kind, e.message);
  } catch (const Napi::Error& err) { return err.Value(); }
}

}  // namespace

Keep keepOf(std::initializer_list<const StorageRecord*> records,
            std::initializer_list<const std::vector<StorageRecord*>*> lists) {
  Keep keep;
  keep.reserve(records.size());
  for (const StorageRecord* r : records) {
    if (r && r->buffer) keep.push_back(r->buffer);
  }
  for (const auto* list : lists) {
    for (const StorageRecord* r : *list) {
      if (r && r->buffer) keep.push_back(r->buffer);
    }
  }
  return keep;
}

Execution::Execution(Napi::Env env) : inline_(inlineFromEnv()) {
  progress_ = Napi::ThreadSafeFunction::New(env, Napi::Function::New(env, [](const Napi::CallbackInfo&) {}),
                                            "nodetorch.queue", 0, 1);
  progress_.Unref(env);
  // Registered after the thread-safe function, so it runs before Node closes
  // it: the queue workers are joined while they may still call it.
  env.AddCleanupHook([this] { stop(); });
}

Execution::~Execution() { stop(); }

void Execution::stop() {
  if (stopped_) return;
  stopped_ = true;
  pending_.clear();  // never read: their buffers are released
  for (auto& q : queues_) q.reset();
}

DeviceQueue& Execution::queue(DeviceType device) {
  const int d = slot(device);
  if (!queues_[d]) {
    if (stopped_) throw Error(ErrorKind::Native, "the environment is shutting down");
    Napi::ThreadSafeFunction tsfn = progress_;
    queues_[d] = std::make_unique<DeviceQueue>([tsfn, device]() mutable {
      tsfn.NonBlockingCall([device](Napi::Env env, Napi::Function) { execution(env).settle(env, device); });
    });
  }
  return *queues_[d];
}

void Execution::record(DeviceQueue::Task task) {
  pending_.push_back(std::move(task));
  if (pending_.size() >= kMaxBatch) {
    // A full batch with no read in sight. A program that waits without
    // blocking hands it to the worker (its event loop must stay free); one
    // that never does runs it here, as it would at its next read: its JS
    // thread, the worker and the pool would otherwise share the cores.
    if (awaits_) submitPending();
    else runPendingHere();
  } else if (!flushScheduled_) {
    // When the JS thread returns to the event loop, the batch goes to the
    // worker: work nobody reads yet still runs in the background.
    flushScheduled_ = true;
    progress_.NonBlockingCall([](Napi::Env env, Napi::Function) { execution(env).submitPending(); });
  }
}

void Execution::submitPending() {
  flushScheduled_ = false;
  if (pending_.empty() || stopped_) return;
  queue(DeviceType::CPU).submit(pending_);
}

void Execution::runPendingHere() {
  DeviceQueue* q = queues_[slot(DeviceType::CPU)].get();
  if (q) q->drain();  // kernels handed to the worker come first
  if (pending_.empty()) return;
  std::vector<DeviceQueue::Task> batch;
  batch.swap(pending_);
  for (DeviceQueue::Task& task : batch) {
    DeferredError failure = runTask(task);
    task = nullptr;
    if (failure.set) queue(DeviceType::CPU).recordError(std::move(failure));
  }
}

void Execution::quiesce(DeviceType device) {
  if (device == DeviceType::CPU) {
    runPendingHere();
    return;
  }
  DeviceQueue* q = queues_[slot(device)].get();
  if (q) q->drain();
}

void Execution::sync(DeviceType device) {
  quiesce(device);
  DeviceQueue* q = queues_[slot(device)].get();
  if (!q) return;
  DeferredError e = q->takeError();
  if (e.set) throw Error(e.kind, e.message);
}

Napi::Promise Execution::whenIdle(Napi::Env env, DeviceType device) {
  auto deferred = Napi::Promise::Deferred::New(env);
  awaits_ = true;
  const int d = slot(device);
  if (device == DeviceType::CPU) submitPending();
  if (device == DeviceType::CPU && !queues_[d]) {
    deferred.Resolve(env.Undefined());  // nothing was ever deferred
    return deferred.Promise();
  }
  DeviceQueue& q = queue(device);
  uint64_t ticket = q.submitted();
  if (device == DeviceType::CUDA) {
    // A task on the helper thread waits for the stream; the read that
    // follows raises the stream's errors.
    std::vector<DeviceQueue::Task> wait{[] { backendFor(DeviceType::CUDA).waitForWork(); }};
    ticket = q.submit(wait);
  }
  waiters_[d].push_back({ticket, deferred});
  q.watch(ticket);
  settle(env, device);
  return deferred.Promise();
}

void Execution::settle(Napi::Env env, DeviceType device) {
  const int d = slot(device);
  DeviceQueue* q = queues_[d].get();
  std::vector<Waiter>& ws = waiters_[d];
  if (q) {
    for (;;) {
      const uint64_t done = q->completed();
      std::vector<Waiter> ready, rest;
      for (Waiter& w : ws) (w.ticket <= done ? ready : rest).push_back(std::move(w));
      ws = std::move(rest);
      if (!ready.empty()) {
        const DeferredError e = q->takeError();
        for (Waiter& w : ready) {
          if (e.set) w.deferred.Reject(errorValue(env, e));
          else w.deferred.Resolve(env.Undefined());
        }
      }
      if (ws.empty()) break;
      uint64_t lowest = ws[0].ticket;
      for (const Waiter& w : ws) lowest = std::min(lowest, w.ticket);
      q->watch(lowest);
      if (q->completed() < lowest) break;
    }
  }
  const bool pending = !waiters_[0].empty() || !waiters_[1].empty();
  if (pending != referenced_) {
    // A pending promise keeps the process alive, as pending I/O does.
    if (pending) progress_.Ref(env);
    else progress_.Unref(env);
    referenced_ = pending;
  }
}

Execution& execution(Napi::Env env) { return *state(env).execution; }

}  // namespace addon
}  // namespace nt
