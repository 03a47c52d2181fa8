// Where cuBLAS / cuDNN are looked for after $NODETORCH_CUDA_LIB_PATH and the
// loader's own search: the pip layouts PyTorch's nvidia-* wheels use (an
// active or inactive virtual environment, conda, user and system
// site-packages, torch/lib), then the CUDA toolkit and distro folders.
// Computed once per process; the python3 on PATH is asked at most once.
#pragma once
#include <string>
#include <vector>

namespace nt {
namespace cuda {

struct LibDir {
  std::string dir;     // a folder that may hold libcublas.so.* / libcudnn.so.*
  std::string source;  // why it is searched: "VIRTUAL_ENV", "python3 on PATH", ...
};

struct LibSearch {
  std::vector<LibDir> dirs;               // existing folders, in search order, deduplicated
  std::vector<std::string> sitePackages;  // every site-packages folder examined
  std::string pythonNote;                 // what asking python3 gave (or why it was not asked)
};

// The folders of $NODETORCH_CUDA_LIB_PATH (':'-separated), in order; read each call.
std::vector<std::string> envLibDirs();
// The usual folders (not including envLibDirs), computed on first use.
const LibSearch& usualLibDirs();
// "dir (source)" lines for messages, envLibDirs first.
std::string libSearchText();

}  // namespace cuda
}  // namespace nt
