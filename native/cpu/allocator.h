// Caching host allocator for CPU tensor storage: 64-byte aligned blocks,
// sizes rounded to size classes, freed blocks kept per class and reused.
#pragma once
#include <cstddef>
#include <cstdint>

namespace nt {
namespace cpu {

// Never returns nullptr (a 0-byte request gets the smallest block); throws
// nt::Error(OutOfMemory) when the system allocator fails even after the
// cache was emptied.
void* hostAlloc(size_t nbytes);
// `nbytes` must be the size passed to hostAlloc. nullptr is ignored.
void hostRelease(void* ptr, size_t nbytes);
// Returns every cached (free) block to the system.
void hostEmptyCache();

struct HostMemStats {
  uint64_t allocated;  // bytes in live blocks (rounded sizes)
  uint64_t reserved;   // allocated + cached free blocks
};
HostMemStats hostMemStats();

}  // namespace cpu
}  // namespace nt
