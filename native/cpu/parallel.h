// A small process-wide thread pool for CPU kernels.
//
// parallelFor splits [begin, end) into contiguous chunks (a few per thread,
// each at least `grain` long where the range allows) that the calling thread
// and the workers claim one at a time. Exceptions thrown by `f` in
// any chunk are rethrown on the caller (the first one wins). The pool is used
// by one parallelFor at a time: a call made while it is busy (another Node
// worker_thread, or a nested parallelFor from inside a chunk) runs serially
// on its own thread instead of waiting, so it can never deadlock.
#pragma once
#include <cstdint>
#include <type_traits>

namespace nt {
namespace cpu {

// n <= 0 restores the default (NODETORCH_NUM_THREADS, else hardware
// concurrency). Also sets the GEMM thread count.
void setNumThreads(int n);
int getNumThreads();

namespace detail {
using ChunkFn = void (*)(void* ctx, int64_t lo, int64_t hi);
// Returns false (having run nothing) when the pool is busy or this thread is
// already inside a parallel region; the caller then runs the range itself.
bool runOnPool(int64_t begin, int64_t end, int64_t grain, ChunkFn fn, void* ctx);
}  // namespace detail

// Calls f(lo, hi) on disjoint sub-ranges covering [begin, end). Serial when
// the range is no larger than `grain` or one thread is configured.
template <class F>
void parallelFor(int64_t begin, int64_t end, int64_t grain, F&& f) {
  if (end <= begin) return;
  if (grain < 1) grain = 1;
  if (end - begin <= grain || getNumThreads() <= 1) {
    f(begin, end);
    return;
  }
  using Fn = std::remove_reference_t<F>;
  auto tramp = [](void* ctx, int64_t lo, int64_t hi) { (*static_cast<Fn*>(ctx))(lo, hi); };
  if (!detail::runOnPool(begin, end, grain, tramp, const_cast<void*>(static_cast<const void*>(&f)))) f(begin, end);
}

}  // namespace cpu
}  // namespace nt
