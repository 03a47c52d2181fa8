// oneDNN (libdnnl.so.2, opened at run time) as the CPU's conv2d engine.
#pragma once
#include <string>

#include "common/kernel_api.h"

namespace nt {
namespace cpu {

struct OnednnStatus {
  bool available = false;
  std::string reason;   // why not, when unavailable
  std::string path;     // the file loaded
  std::string version;  // "2.6.3 (omp)"
};

// Loads the library on the first call ($NODETORCH_ONEDNN_LIB, else the
// soname libdnnl.so.2); thread-safe.
const OnednnStatus& onednnStatus();

// Each runs the float32 call on oneDNN and returns true, or returns false
// having written nothing (library absent, float64, or a geometry oneDNN has
// no implementation for), so the caller runs its own loops.
bool onednnConvForward(const Conv2dForwardArgs& a);
bool onednnConvBackwardData(const Conv2dBackwardDataArgs& a);
bool onednnConvBackwardWeight(const Conv2dBackwardWeightArgs& a);

}  // namespace cpu
}  // namespace nt
