// cuda_api.h for the CPU addon: the CUDA backend lives in nodetorch-cuda.so
// (package @nodetorch/linux-x64-cuda, or a cmake-js CUDA build next to this
// addon), opened with dlopen on first use. No plugin, or one whose ABI check
// fails, means CUDA is unavailable with a reason naming every file tried and
// what did not match; backend() then throws that reason as a NotCompiled
// error, so the CPU keeps working. Where it looks, in order:
//   NODETORCH_CUDA_LIB (an explicit file), <this addon's folder>/nodetorch-cuda.so,
//   <this addon's folder>/../linux-x64-cuda/nodetorch-cuda.so (the sibling
//   package when the addon came from @nodetorch/linux-x64).
#include <cstdlib>
#include <string>
#include <vector>

#include "cuda/cuda_api.h"
#include "cuda/cuda_plugin.h"

#if !defined(_WIN32)
#include <dlfcn.h>
#endif

namespace nt {
namespace cuda {
namespace {

const char* const kPluginFile = "nodetorch-cuda.so";

struct Loaded {
  const Plugin* plugin = nullptr;
  std::string reason;
};

std::string hex(uint64_t v) {
  static const char* d = "0123456789abcdef";
  std::string s(16, '0');
  for (int i = 15; i >= 0; --i, v >>= 4) s[size_t(i)] = d[v & 15];
  return s;
}

#if !defined(_WIN32)
std::string addonDir() {
  Dl_info info{};
  if (!dladdr(reinterpret_cast<void*>(&hex), &info) || !info.dli_fname) return ".";
  std::string f = info.dli_fname;
  const size_t slash = f.rfind('/');
  return slash == std::string::npos ? "." : f.substr(0, slash);
}

// Why `p` cannot be used by this addon, or "" when it can.
std::string mismatch(const Plugin* p) {
  if (p->abiVersion != kPluginAbiVersion)
    return "plugin ABI " + std::to_string(p->abiVersion) + ", this addon needs " + std::to_string(kPluginAbiVersion);
  if (p->kernelTableHash != NT_KERNEL_TABLE_HASH)
    return "kernel table " + hex(p->kernelTableHash) + ", this addon's is " + hex(NT_KERNEL_TABLE_HASH);
  if (p->stringAbi != kStringAbi || p->stringSize != sizeof(std::string))
    return "built with another C++ standard library ABI";
  return "";
}

// Only linux-x64 has a CUDA package; elsewhere (linux-arm64) a source build can
// still put the plugin next to the addon.
#if defined(__x86_64__)
const std::string kNotInstalled =
    "CUDA support is not installed: `npm install @nodetorch/linux-x64-cuda` (same version as nodetorch), or build it "
    "with `npm run build:cuda`. Tried:";
#else
const std::string kNotInstalled =
    "CUDA support is not installed: no CUDA package is published for this CPU (only @nodetorch/linux-x64-cuda); "
    "build it from source with `npm run build:cuda`. Tried:";
#endif

Loaded openPlugin() {
  Loaded l;
  std::vector<std::string> files;
  if (const char* env = std::getenv("NODETORCH_CUDA_LIB"); env && *env) files.push_back(env);
  const std::string dir = addonDir();
  files.push_back(dir + "/" + kPluginFile);
  files.push_back(dir + "/../linux-x64-cuda/" + kPluginFile);
  std::string tried;
  bool mismatched = false;
  for (const std::string& f : files) {
    void* h = dlopen(f.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!h) {
      const char* e = dlerror();
      std::string why = e ? e : "cannot open";
      if (why.find("No such file") != std::string::npos) why = "missing";
      tried += (tried.empty() ? " " : "; ") + f + ": " + why;
      continue;
    }
    using Entry = const Plugin* (*)();
    auto entry = reinterpret_cast<Entry>(dlsym(h, "nt_cuda_plugin"));
    const Plugin* p = entry ? entry() : nullptr;
    const std::string bad = !p ? "no nt_cuda_plugin symbol: not a nodetorch CUDA plugin" : mismatch(p);
    if (bad.empty()) {
      l.plugin = p;  // kept open for the life of the process
      return l;
    }
    mismatched = mismatched || p;
    tried += (tried.empty() ? " " : "; ") + f + ": " + bad +
             (p ? std::string(" (built for nodetorch ") + p->version + ")" : "");
    dlclose(h);
  }
  l.reason = mismatched ? "the CUDA plugin does not match this addon; install the same version of nodetorch and "
                          "@nodetorch/linux-x64-cuda (or rebuild both: `npm run build:cuda`). Tried:" +
                              tried
                        : kNotInstalled + tried;
  return l;
}
#else
Loaded openPlugin() {
  Loaded l;
  l.reason = "CUDA is supported on Linux x64 only (package @nodetorch/linux-x64-cuda)";
  return l;
}
#endif

const Loaded& loaded() {
  static const Loaded l = openPlugin();
  return l;
}
const Plugin* plugin() { return loaded().plugin; }

}  // namespace

bool compiled() { return plugin() != nullptr; }
bool available() { return plugin() && plugin()->available(); }
std::string unavailableReason() { return plugin() ? plugin()->unavailableReason() : loaded().reason; }
int deviceCount() { return plugin() ? plugin()->deviceCount() : 0; }
std::string infoJson() {
  if (plugin()) return plugin()->infoJson();
  std::string reason;
  for (char c : loaded().reason) {
    if (c == '"' || c == '\\') reason += '\\';
    reason += c;
  }
  return "{\"compiled\":false,\"available\":false,\"reason\":\"" + reason +
         "\",\"deviceCount\":0,\"device\":null,\"cublas\":null,\"cudnn\":null,\"allowTF32\":false}";
}
Backend& backend() {
  if (!plugin()) throw Error(ErrorKind::NotCompiled, loaded().reason);
  return plugin()->backend();
}
MemStats memStats() { return plugin() ? plugin()->memStats() : MemStats{}; }
void emptyCache() {
  if (plugin()) plugin()->emptyCache();
}
void setAllowTF32(bool allow) {
  if (plugin()) plugin()->setAllowTF32(allow);
}
bool allowTF32() { return plugin() && plugin()->allowTF32(); }
std::string librariesJson() { return plugin() ? plugin()->librariesJson() : "{\"compiled\":false}"; }
std::string testHook(const std::string& name) {
  if (!plugin()) throw Error(ErrorKind::NotCompiled, loaded().reason);
  return plugin()->testHook(name);
}

std::string selectDevice(int localRank) { return plugin() ? plugin()->selectDevice(localRank) : loaded().reason; }
std::string ncclUnavailableReason() {
  return plugin() ? plugin()->ncclUnavailableReason() : "the CUDA plugin is not available: " + loaded().reason;
}
std::string ncclLibraryJson() {
  if (!plugin()) throw Error(ErrorKind::NotCompiled, loaded().reason);
  return plugin()->ncclLibraryJson();
}
std::string ncclUniqueId(std::string* id) { return plugin() ? plugin()->ncclUniqueId(id) : loaded().reason; }
std::string ncclInit(const std::string& id, int rank, int size) {
  return plugin() ? plugin()->ncclInit(id, rank, size) : loaded().reason;
}
std::string ncclCollective(const NcclCall& call) { return plugin() ? plugin()->ncclCollective(call) : loaded().reason; }
void ncclAbort() {
  if (plugin()) plugin()->ncclAbort();
}
std::string ncclDestroy() { return plugin() ? plugin()->ncclDestroy() : ""; }

}  // namespace cuda
}  // namespace nt
