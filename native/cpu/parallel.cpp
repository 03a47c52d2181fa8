// Process-wide thread pool behind parallelFor (see parallel.h).
//
// Workers sleep on a condition variable between jobs, after a bounded spin
// (common/spin.h: back-to-back kernels then skip the futex wake-up). The pool
// and its threads are intentionally leaked: Node may exit while workers sleep,
// and destroying a mutex or condition variable a thread waits on (or a
// joinable std::thread) at static-destruction time is undefined / terminates.
#include "cpu/parallel.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "common/spin.h"
#include "cpu/gemm.h"

namespace nt {
namespace cpu {
namespace {

constexpr int kMaxThreads = 256;
// Idle workers (and a caller waiting for its workers) spin before sleeping
// (common/spin.h): a training step runs kernels a few microseconds of JS
// apart, and sleeping between them costs a futex wake-up each time. 50 us
// gave the fastest seed-MLP epoch of the spin times tried
// (docs/benchmark-notes.md).

// Chunks claimed one at a time, several per thread: a thread that is
// preempted (on a 2-core VM, by V8's compiler and GC threads early in a
// process) leaves its unclaimed chunks to the others instead of holding the
// whole call up by half of it.
constexpr int64_t kChunksPerThread = 4;

int defaultThreads() {
  if (const char* env = std::getenv("NODETORCH_NUM_THREADS")) {
    const int n = std::atoi(env);
    if (n > 0) return std::min(n, kMaxThreads);
  }
  const unsigned hc = std::thread::hardware_concurrency();
  return hc == 0 ? 1 : std::min(static_cast<int>(hc), kMaxThreads);
}

std::atomic<int>& threadCount() {
  static std::atomic<int> n{defaultThreads()};
  return n;
}

// True on pool workers always, and on a caller while it runs its chunks:
// parallelFor from inside a chunk then runs serially.
thread_local bool tlsInParallel = false;

struct Pool {
  std::mutex m;
  std::condition_variable wake;  // workers: a new generation was posted
  std::condition_variable done;  // caller: all chunks finished, no worker inside
  std::atomic<bool> busy{false};
  std::atomic<uint64_t> generation{0};
  int nWorkers = 0;  // threads started so far (only grows; guarded by busy)

  // The current job; written under `m` while no worker is inside a job.
  detail::ChunkFn fn = nullptr;
  void* ctx = nullptr;
  int64_t begin = 0, end = 0, chunk = 0;
  int nChunks = 0;
  std::atomic<int> nextChunk{0};
  std::atomic<int> remaining{0};  // chunks not finished
  std::atomic<int> active{0};     // workers that joined the job and have not left
  std::exception_ptr error;       // guarded by m

  void runChunks() {
    for (;;) {
      const int c = nextChunk.fetch_add(1, std::memory_order_relaxed);
      if (c >= nChunks) return;
      const int64_t lo = begin + c * chunk;
      const int64_t hi = std::min(end, lo + chunk);
      try {
        fn(ctx, lo, hi);
      } catch (...) {
        std::lock_guard<std::mutex> lk(m);
        if (!error) error = std::current_exception();
      }
      remaining.fetch_sub(1, std::memory_order_acq_rel);
    }
  }

  void workerLoop() {
    tlsInParallel = true;
    uint64_t seen = generation.load(std::memory_order_acquire);
    for (;;) {
      spinFor([&] { return generation.load(std::memory_order_acquire) != seen; });
      {
        std::unique_lock<std::mutex> lk(m);
        wake.wait(lk, [&] { return generation.load(std::memory_order_relaxed) != seen; });
        seen = generation.load(std::memory_order_relaxed);
        // Join only a job that still has chunks left; the caller does not post
        // a new job while `active` is non-zero, so the fields stay valid.
        if (nextChunk.load(std::memory_order_relaxed) >= nChunks) continue;
        active.fetch_add(1, std::memory_order_relaxed);
      }
      runChunks();
      std::lock_guard<std::mutex> lk(m);
      if (active.fetch_sub(1, std::memory_order_acq_rel) == 1 && remaining.load(std::memory_order_acquire) == 0)
        done.notify_one();
    }
  }

  // Called with busy held. Starting a thread can fail (resource limits):
  // the pool then simply runs with the workers it has.
  void ensureWorkers(int want) {
    while (nWorkers < want) {
      try {
        std::thread(&Pool::workerLoop, this).detach();
      } catch (...) { return; }
      ++nWorkers;
    }
  }
};

Pool& pool() {
  static Pool* p = new Pool();  // leaked on purpose, see the file comment
  return *p;
}

}  // namespace

void setNumThreads(int n) {
  if (n <= 0) n = defaultThreads();
  n = std::min(n, kMaxThreads);
  threadCount().store(n);
  gemmSetNumThreads(n);
}

int getNumThreads() { return threadCount().load(std::memory_order_relaxed); }

namespace detail {

bool runOnPool(int64_t begin, int64_t end, int64_t grain, ChunkFn fn, void* ctx) {
  if (tlsInParallel) return false;
  Pool& p = pool();
  bool expected = false;
  if (!p.busy.compare_exchange_strong(expected, true, std::memory_order_acquire)) return false;

  const int nThreads = getNumThreads();
  p.ensureWorkers(nThreads - 1);
  const int64_t n = end - begin;
  const int64_t team = std::min(nThreads, p.nWorkers + 1);
  if (std::min<int64_t>(team, (n + grain - 1) / grain) < 2) {
    p.busy.store(false, std::memory_order_release);
    return false;
  }
  const int64_t nChunks = std::min<int64_t>(team * kChunksPerThread, (n + grain - 1) / grain);
  {
    std::lock_guard<std::mutex> lk(p.m);
    p.fn = fn;
    p.ctx = ctx;
    p.begin = begin;
    p.end = end;
    p.chunk = (n + nChunks - 1) / nChunks;
    p.nChunks = static_cast<int>((n + p.chunk - 1) / p.chunk);
    p.nextChunk.store(0, std::memory_order_relaxed);
    p.remaining.store(p.nChunks, std::memory_order_relaxed);
    p.error = nullptr;
    p.generation.fetch_add(1, std::memory_order_release);
  }
  p.wake.notify_all();

  tlsInParallel = true;
  p.runChunks();
  tlsInParallel = false;

  auto finished = [&] {
    return p.remaining.load(std::memory_order_acquire) == 0 && p.active.load(std::memory_order_acquire) == 0;
  };
  spinFor(finished);
  std::exception_ptr err;
  {
    std::unique_lock<std::mutex> lk(p.m);
    p.done.wait(lk, finished);
    err = p.error;
    p.error = nullptr;
  }
  p.busy.store(false, std::memory_order_release);
  if (err) std::rethrow_exception(err);
  return true;
}

}  // namespace detail
}  // namespace cpu
}  // namespace nt
