// The shared cuDNN fallback's notices (cudnn_fallback.h).
#include "cuda/cudnn_fallback.h"

#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

#include "cuda/kernels.h"

namespace nt {
namespace cuda {
namespace {

std::mutex gNotesMutex;
std::vector<std::string>* gNotes = new std::vector<std::string>;  // never destroyed

}  // namespace

std::string cudnnFailureText(const CudnnFailure& e) {
  if (e.status == CUDNN_STATUS_SUCCESS) return e.fn;
  return std::string(e.fn) + " failed (" + cudnnStatusText(e.status) + ")";
}

bool CudnnFallback::fallBack(const char* op, const CudnnFailure& e) {
  if (!firstFailure()) return false;
  recordCudnnFallback(std::string("nodetorch: cuDNN ") + e.fn + " failed for " + op + " (" + cudnnStatusText(e.status) +
                      "); using nodetorch's own kernel for it from now on" + " (NODETORCH_CUDNN=0 skips cuDNN)");
  return false;
}

void recordCudnnFallback(const std::string& note) {
  std::fprintf(stderr, "%s\n", note.c_str());
  std::lock_guard<std::mutex> lock(gNotesMutex);
  gNotes->push_back(note);
}

std::vector<std::string> cudnnFallbackNotes() {
  std::lock_guard<std::mutex> lock(gNotesMutex);
  return *gNotes;
}

}  // namespace cuda
}  // namespace nt
