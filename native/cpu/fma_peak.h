// The machine's measured FLOP peak (issue 15): a loop of independent fused
// multiply-adds in the widest vectors this CPU has, on 1..n threads. Used by
// the bench only (the addon's benchFmaPeak), to report GEMM rates and whole
// epochs as a share of what the cores can do.
#pragma once
#include <string>

namespace nt {
namespace cpu {

struct FmaPeak {
  double gflops;    // single-precision FLOP/s over all threads, in 1e9
  double seconds;   // wall time of the measured run
  std::string isa;  // "avx512f", "avx2+fma" or "scalar"
};

// Runs the loop on `threads` threads (the caller plus threads-1 started
// here) for about `seconds`; threads in [1, 256], seconds in (0, 10].
FmaPeak measureFmaPeak(int threads, double seconds);

}  // namespace cpu
}  // namespace nt
