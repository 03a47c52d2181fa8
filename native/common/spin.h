// Bounded spinning before a futex sleep, shared by the CPU thread pool and the
// device queues: work that arrives a few microseconds apart is then picked up
// without a wake-up. NODETORCH_SPIN_US sets the bound (default 50 us, 0 =
// sleep at once); bounded, so an idle process goes quiet.
#pragma once
#include <algorithm>
#include <chrono>
#include <cstdlib>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define NT_CPU_RELAX() _mm_pause()
#elif defined(__aarch64__)
#define NT_CPU_RELAX() asm volatile("yield" ::: "memory")
#else
#define NT_CPU_RELAX() ((void)0)
#endif

namespace nt {

inline int spinMicros() {
  static const int us = [] {
    const char* env = std::getenv("NODETORCH_SPIN_US");
    const int v = env ? std::atoi(env) : -1;
    return v >= 0 ? std::min(v, 10000) : 50;
  }();
  return us;
}

// Spins until pred() holds or spinMicros() have passed; returns pred().
template <class Pred>
bool spinFor(Pred pred) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(spinMicros());
  for (;;) {
    for (int i = 0; i < 32; ++i) {
      if (pred()) return true;
      NT_CPU_RELAX();
    }
    if (std::chrono::steady_clock::now() >= deadline) return pred();
  }
}

}  // namespace nt
