// glibc malloc thresholds for a training process, set once at addon load.
#pragma once

namespace nt {
namespace addon {

// Raises glibc's mmap/trim thresholds and top pad (see malloc_tuning.cpp),
// once per process. A no-op off glibc, in sanitizer builds, and when the
// user set any MALLOC_* variable (their tuning wins).
void tuneMallocOnce();

}  // namespace addon
}  // namespace nt
