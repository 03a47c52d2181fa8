// Why: with glibc's defaults (trim threshold 128 KiB, dynamic mmap threshold)
// the memory V8's optimising-compiler jobs and Node free is handed back to the
// kernel, and the next compile faults it in again, page by page. In a training
// loop that shows up as page faults and slower steps long after the first
// ones. Keeping freed memory in the process (up to these bounds) stops it.
// Tensor buffers do not go through here: the CPU allocator maps its large
// blocks itself and caches the rest.
#include "malloc_tuning.h"

#include <cstring>
#include <mutex>

#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
#include <malloc.h>
extern char** environ;
#define NT_TUNE_MALLOC 1
#endif

namespace nt {
namespace addon {
namespace {

#ifdef NT_TUNE_MALLOC
constexpr int kMiB = 1 << 20;

bool userTunedMalloc() {
  for (char** e = environ; e && *e; ++e)
    if (std::strncmp(*e, "MALLOC_", 7) == 0 || std::strncmp(*e, "GLIBC_TUNABLES=", 15) == 0) return true;
  return false;
}

void tune() {
  if (userTunedMalloc()) return;
  // 32 MiB: older glibc refuses an mmap threshold above half its arena heap
  // size (64 MiB on 64-bit). Blocks below it come from the heap and stay there.
  mallopt(M_MMAP_THRESHOLD, 32 * kMiB);
  mallopt(M_TRIM_THRESHOLD, 256 * kMiB);
  mallopt(M_TOP_PAD, 64 * kMiB);
}
#endif

}  // namespace

void tuneMallocOnce() {
#ifdef NT_TUNE_MALLOC
  static std::once_flag once;
  std::call_once(once, tune);
#endif
}

}  // namespace addon
}  // namespace nt
