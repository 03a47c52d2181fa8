// FMA-loop peak (see fma_peak.h). Each thread keeps independent vector
// accumulators, more than FMA latency x FMA ports on current x86 cores, so
// the loop is bound by FMA throughput, not latency: 16 in AVX-512's 32
// registers, 12 in AVX2's 16 (16 plus the two constants spilled to the
// stack, and the loop then read ~60 % of what OpenBLAS reaches).
#include "cpu/fma_peak.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define NT_FMA_X86 1
#endif

namespace nt {
namespace cpu {
namespace {

constexpr int kAcc = 16;
constexpr int kAcc256 = 12;
std::atomic<float> gSink{0.f};  // keeps the results alive

#ifdef NT_FMA_X86
// Returns the FLOPs done: iters x accumulators x lanes x 2.
__attribute__((target("avx512f"))) double loop512(int64_t iters) {
  __m512 acc[kAcc];
  for (int i = 0; i < kAcc; ++i) acc[i] = _mm512_set1_ps(static_cast<float>(i) * 1e-3f);
  const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
  for (int64_t it = 0; it < iters; ++it)
    for (int i = 0; i < kAcc; ++i) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
  __m512 s = acc[0];
  for (int i = 1; i < kAcc; ++i) s = _mm512_add_ps(s, acc[i]);
  gSink.store(_mm512_reduce_add_ps(s), std::memory_order_relaxed);
  return static_cast<double>(iters) * kAcc * 16 * 2;
}

__attribute__((target("avx2,fma"))) double loop256(int64_t iters) {
  __m256 acc[kAcc256];
  for (int i = 0; i < kAcc256; ++i) acc[i] = _mm256_set1_ps(static_cast<float>(i) * 1e-3f);
  const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
  for (int64_t it = 0; it < iters; ++it)
    for (int i = 0; i < kAcc256; ++i) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
  __m256 s = acc[0];
  for (int i = 1; i < kAcc256; ++i) s = _mm256_add_ps(s, acc[i]);
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, s);
  gSink.store(lanes[0] + lanes[7], std::memory_order_relaxed);
  return static_cast<double>(iters) * kAcc256 * 8 * 2;
}
#endif

double loopScalar(int64_t iters) {
  float acc[kAcc];
  for (int i = 0; i < kAcc; ++i) acc[i] = static_cast<float>(i) * 1e-3f;
  for (int64_t it = 0; it < iters; ++it)
    for (int i = 0; i < kAcc; ++i) acc[i] = acc[i] * 0.999999f + 1e-7f;
  float s = 0.f;
  for (float v : acc) s += v;
  gSink.store(s, std::memory_order_relaxed);
  return static_cast<double>(iters) * kAcc * 2;
}

using Loop = double (*)(int64_t);

Loop pickLoop(std::string* isa) {
#ifdef NT_FMA_X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) {
    *isa = "avx512f";
    return loop512;
  }
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    *isa = "avx2+fma";
    return loop256;
  }
#endif
  *isa = "scalar";
  return loopScalar;
}

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

}  // namespace

FmaPeak measureFmaPeak(int threads, double seconds) {
  threads = std::clamp(threads, 1, 256);
  seconds = std::clamp(seconds, 1e-3, 10.0);
  FmaPeak r{0, 0, ""};
  const Loop loop = pickLoop(&r.isa);
  // Calibrate on one thread (also brings the core out of any low clock state).
  int64_t iters = 1 << 12;
  for (;;) {
    const double t0 = now();
    loop(iters);
    const double dt = now() - t0;
    if (dt > 0.02 || iters > (int64_t{1} << 40)) {
      iters = std::max<int64_t>(1, static_cast<int64_t>(static_cast<double>(iters) * seconds / std::max(dt, 1e-9)));
      break;
    }
    iters *= 4;
  }
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<double> flops(threads, 0.0);
  auto body = [&](int t) {
    ready.fetch_add(1);
    while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
    flops[t] = loop(iters);
  };
  std::vector<std::thread> pool;
  try {
    for (int t = 1; t < threads; ++t) pool.emplace_back(body, t);
  } catch (...) {
    // fewer threads than asked: measure with those that started
  }
  while (ready.load() < static_cast<int>(pool.size())) std::this_thread::yield();
  const double t0 = now();
  go.store(true, std::memory_order_release);
  flops[0] = loop(iters);
  for (auto& th : pool) th.join();
  r.seconds = now() - t0;
  double total = 0;
  for (double f : flops) total += f;
  r.gflops = total / r.seconds / 1e9;
  return r;
}

}  // namespace cpu
}  // namespace nt
