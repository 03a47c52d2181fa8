#include "mpi_library.h"

#include <dlfcn.h>

#include <map>
#include <mutex>

namespace nt {
namespace dist {
namespace {

struct Loaded {
  MpiLibrary lib;
  std::string reason;
  bool ok = false;
};

template <typename T>
bool symbol(void* handle, const char* name, T& out, std::string& missing) {
  out = reinterpret_cast<T>(dlsym(handle, name));
  if (out == nullptr && missing.empty()) missing = name;
  return out != nullptr;
}

void open(const std::string& path, Loaded& r) {
  const std::string install = "install Open MPI 4.x (apt-get install openmpi-bin libopenmpi-dev)";
  void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_GLOBAL);
  if (h == nullptr) {
    const char* e = dlerror();
    r.reason = "cannot load Open MPI's libmpi.so.40 (tried " + path + ": " + (e ? e : "unknown dlopen error") + "); " +
               install;
    return;
  }
  MpiLibrary& l = r.lib;
  std::string missing;
  symbol(h, "MPI_Initialized", l.initialized, missing);
  symbol(h, "MPI_Finalized", l.finalized, missing);
  symbol(h, "MPI_Init_thread", l.initThread, missing);
  symbol(h, "MPI_Finalize", l.finalize, missing);
  symbol(h, "MPI_Comm_rank", l.commRank, missing);
  symbol(h, "MPI_Comm_size", l.commSize, missing);
  symbol(h, "MPI_Comm_set_errhandler", l.commSetErrhandler, missing);
  symbol(h, "MPI_Error_string", l.errorString, missing);
  symbol(h, "MPI_Allreduce", l.allreduce, missing);
  symbol(h, "MPI_Bcast", l.bcast, missing);
  symbol(h, "MPI_Allgather", l.allgather, missing);
  symbol(h, "MPI_Reduce_scatter_block", l.reduceScatterBlock, missing);
  symbol(h, "MPI_Barrier", l.barrier, missing);
  // Predefined handles are the addresses of these exported objects.
  symbol(h, "ompi_mpi_comm_world", l.commWorld, missing);
  symbol(h, "ompi_mpi_errors_return", l.errorsReturn, missing);
  symbol(h, "ompi_mpi_float", l.float32, missing);
  symbol(h, "ompi_mpi_double", l.float64, missing);
  symbol(h, "ompi_mpi_int32_t", l.int32, missing);
  symbol(h, "ompi_mpi_int64_t", l.int64, missing);
  symbol(h, "ompi_mpi_uint8_t", l.uint8, missing);
  symbol(h, "ompi_mpi_op_sum", l.opSum, missing);
  symbol(h, "ompi_mpi_op_max", l.opMax, missing);
  symbol(h, "ompi_mpi_op_min", l.opMin, missing);
  if (!missing.empty()) {
    r.reason = path + " lacks the symbol " + missing + ": not Open MPI 4.x; " + install;
    return;  // the handle stays open: unloading MPI is never safe
  }
  r.ok = true;
}

}  // namespace

std::string MpiLibrary::describe(int code) const {
  char buf[mpi::kMaxErrorString + 1] = {0};
  int len = 0;
  if (errorString != nullptr && errorString(code, buf, &len) == mpi::kSuccess && len > 0) {
    return std::string(buf, static_cast<size_t>(len < mpi::kMaxErrorString ? len : mpi::kMaxErrorString));
  }
  return "MPI error code " + std::to_string(code);
}

const MpiLibrary* loadMpiLibrary(const std::string& path, std::string& reason) {
  static std::mutex m;
  static auto* cache = new std::map<std::string, Loaded>();  // never freed: MPI stays loaded
  std::lock_guard<std::mutex> lock(m);
  auto it = cache->find(path);
  if (it == cache->end()) {
    it = cache->emplace(path, Loaded{}).first;
    open(path, it->second);
  }
  reason = it->second.reason;
  return it->second.ok ? &it->second.lib : nullptr;
}

}  // namespace dist
}  // namespace nt
