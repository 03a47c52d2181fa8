// CUDA runtime error checking: every failing call becomes
// nt::Error(Cuda, "<op>: <cudaGetErrorString> (<code name>)"). Never aborts.
#pragma once
#include <cuda_runtime_api.h>

#include <string>

#include "common/errors.h"

namespace nt {
namespace cuda {

// Errors after which the CUDA context is unusable until the process restarts.
inline bool isStickyError(cudaError_t e) {
  return e == cudaErrorIllegalAddress || e == cudaErrorLaunchFailure || e == cudaErrorHardwareStackError ||
         e == cudaErrorIllegalInstruction || e == cudaErrorMisalignedAddress || e == cudaErrorInvalidAddressSpace ||
         e == cudaErrorInvalidPc || e == cudaErrorAssert;
}

inline std::string describeCudaError(cudaError_t e) {
  std::string s = std::string(cudaGetErrorString(e)) + " (" + cudaGetErrorName(e) + ")";
  if (isStickyError(e)) s += "; the CUDA context is lost, restart the process";
  return s;
}

[[noreturn]] inline void throwCuda(const char* op, cudaError_t e) {
  cudaGetLastError();  // clear the (non-sticky) last error so later launch checks are clean
  throw Error(ErrorKind::Cuda, std::string(op) + ": " + describeCudaError(e));
}

inline void check(cudaError_t e, const char* op) {
  if (e != cudaSuccess) throwCuda(op, e);
}

// Call right after a kernel launch: reports bad launch configurations.
inline void checkLaunch(const char* op) { check(cudaGetLastError(), op); }

}  // namespace cuda
}  // namespace nt
