// Caching host allocator (see allocator.h).
//
// Size classes: powers of two up to 1 MiB (min 64 B), above that multiples
// of 1/8 of the enclosing power of two, so waste stays under 12.5%. A freed
// block goes back to its class unless the cache would exceed cacheCap(), in
// which case it is returned to the system at once. One mutex guards it all:
// allocations are per tensor, not per element, so contention is low.
#include "cpu/allocator.h"

#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/errors.h"

#ifdef _WIN32
#include <malloc.h>
#else
#include <sys/mman.h>
#include <unistd.h>
#endif

namespace nt {
namespace cpu {
namespace {

constexpr size_t kAlign = 64;

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define NT_SANITIZED 1
#endif
#endif
#if defined(__linux__) && !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__) && !defined(NT_SANITIZED)
#define NT_HUGE_PAGES 1
#endif

#ifdef NT_HUGE_PAGES
// Blocks of 2 MiB and more are mapped on a 2 MiB boundary and marked for
// transparent huge pages: a fresh block is then faulted in 2 MiB at a time
// instead of 4 KiB, which makes a model's first training step (every buffer
// touched for the first time) several times cheaper. Sanitizer builds keep
// malloc so out-of-bounds accesses stay detectable.
constexpr size_t kHuge = size_t(2) << 20;

size_t mappedLength(size_t n) { return (n + 4095) & ~size_t(4095); }

void* mapHuge(size_t n) {
  const size_t len = mappedLength(n);
  void* raw = mmap(nullptr, len + kHuge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) return nullptr;
  const uintptr_t start = reinterpret_cast<uintptr_t>(raw);
  const uintptr_t aligned = (start + kHuge - 1) & ~uintptr_t(kHuge - 1);
  if (aligned > start) munmap(raw, aligned - start);
  const size_t tail = start + len + kHuge - (aligned + len);
  if (tail) munmap(reinterpret_cast<void*>(aligned + len), tail);
  void* p = reinterpret_cast<void*>(aligned);
  madvise(p, len, MADV_HUGEPAGE);  // advice only: without THP the block still works
  return p;
}
#endif

// MSVC has no std::aligned_alloc; its aligned blocks need _aligned_free.
void* alignedAlloc(size_t n) {
#ifdef _WIN32
  return _aligned_malloc(n, kAlign);
#else
#ifdef NT_HUGE_PAGES
  if (n >= kHuge) return mapHuge(n);
#endif
  return std::aligned_alloc(kAlign, n);
#endif
}
// `n` is the size the block was allocated with.
void alignedFree(void* p, size_t n) {
#ifdef _WIN32
  (void)n;
  _aligned_free(p);
#else
#ifdef NT_HUGE_PAGES
  if (n >= kHuge) {
    munmap(p, mappedLength(n));
    return;
  }
#endif
  (void)n;
  std::free(p);
#endif
}
// Free blocks kept at most: a quarter of physical memory, and at least 1 GiB.
// A training step frees and reallocates its whole working set (a 10M-parameter
// GPT at batch 8 x 256: over 1 GiB); blocks past the cap go back to the system
// and come back as fresh pages, faulted in again every step.
size_t cacheCap() {
  static const size_t cap = [] {
    size_t minimum = size_t(1) << 30;
#ifdef _WIN32
    return minimum;
#else
    const long pages = sysconf(_SC_PHYS_PAGES);
    const long pageSize = sysconf(_SC_PAGE_SIZE);
    if (pages <= 0 || pageSize <= 0) return minimum;
    const size_t quarter = size_t(pages) / 4 * size_t(pageSize);
    return quarter > minimum ? quarter : minimum;
#endif
  }();
  return cap;
}

size_t roundSize(size_t n) {
  if (n <= kAlign) return kAlign;
  if (n > (size_t(1) << 62)) return 0;  // would overflow: let the caller fail
  size_t p = kAlign;
  while (p < n) p <<= 1;
  if (p <= (size_t(1) << 20)) return p;
  const size_t step = p >> 3;  // p/2 < n <= p: round n up to a multiple of p/8
  return (n + step - 1) / step * step;
}

struct Cache {
  std::mutex m;
  std::unordered_map<size_t, std::vector<void*>> freeBlocks;
  uint64_t allocated = 0, cached = 0;

  void emptyLocked() {
    for (auto& kv : freeBlocks)
      for (void* p : kv.second) alignedFree(p, kv.first);
    freeBlocks.clear();
    cached = 0;
  }
};

// Leaked on purpose: tensors released from finalizers during process exit
// must not find a destroyed mutex.
Cache& cache() {
  static Cache* c = new Cache();
  return *c;
}

}  // namespace

void* hostAlloc(size_t nbytes) {
  const size_t sz = roundSize(nbytes);
  Cache& c = cache();
  std::lock_guard<std::mutex> lk(c.m);
  if (sz != 0) {
    auto it = c.freeBlocks.find(sz);
    if (it != c.freeBlocks.end() && !it->second.empty()) {
      void* p = it->second.back();
      it->second.pop_back();
      c.cached -= sz;
      c.allocated += sz;
      return p;
    }
    void* p = alignedAlloc(sz);
    if (!p && c.cached > 0) {
      c.emptyLocked();
      p = alignedAlloc(sz);
    }
    if (p) {
      c.allocated += sz;
      return p;
    }
  }
  throw Error(ErrorKind::OutOfMemory, "cpu alloc: out of host memory, requested " + std::to_string(nbytes) +
                                          " bytes (" + std::to_string(c.allocated) + " bytes in use)");
}

void hostRelease(void* ptr, size_t nbytes) {
  if (!ptr) return;
  const size_t sz = roundSize(nbytes);
  Cache& c = cache();
  std::lock_guard<std::mutex> lk(c.m);
  c.allocated -= sz;
  if (c.cached + sz > cacheCap()) {
    alignedFree(ptr, sz);
    return;
  }
  try {
    c.freeBlocks[sz].push_back(ptr);
    c.cached += sz;
  } catch (...) {  // bookkeeping allocation failed: just give the block back
    alignedFree(ptr, sz);
  }
}

void hostEmptyCache() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lk(c.m);
  c.emptyLocked();
}

HostMemStats hostMemStats() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lk(c.m);
  return HostMemStats{c.allocated, c.allocated + c.cached};
}

}  // namespace cpu
}  // namespace nt
