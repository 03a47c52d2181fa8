// The nccl backend's device half (cuda_api.h's nccl* functions): libnccl.so.2
// opened at run time (nccl_abi.h), one communicator per process, and the
// collectives enqueued on the CUDA backend's stream, so they run after the
// kernels that wrote their inputs. Called on the process group's
// communication thread (native/distributed), which waits here for each
// collective: an event after it on the stream, polled together with
// ncclCommGetAsyncError; a peer error or the timeout aborts the communicator
// (ncclCommAbort ends its kernels), so the thread never hangs in a kernel.
#include <dlfcn.h>

#include <chrono>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>

#include "common/codes.gen.h"
#include "common/json_text.h"
#include "cuda/cuda_api.h"
#include "cuda/cuda_check.h"
#include "cuda/cuda_state.h"
#include "cuda/dynload.h"
#include "cuda/nccl_abi.h"

namespace nt {
namespace cuda {
namespace {

struct NcclApi {
  std::string path;
  int version = 0;
  nccl::GetVersionFn getVersion = nullptr;
  nccl::GetUniqueIdFn getUniqueId = nullptr;
  nccl::CommInitRankFn commInitRank = nullptr;
  nccl::CommDestroyFn commDestroy = nullptr;
  nccl::CommAbortFn commAbort = nullptr;
  nccl::CommGetAsyncErrorFn commGetAsyncError = nullptr;
  nccl::GetErrorStringFn getErrorString = nullptr;
  nccl::AllReduceFn allReduce = nullptr;
  nccl::BroadcastFn broadcast = nullptr;
  nccl::AllGatherFn allGather = nullptr;
  nccl::ReduceScatterFn reduceScatter = nullptr;
  nccl::GroupFn groupStart = nullptr;
  nccl::GroupFn groupEnd = nullptr;
};

template <typename F>
void bind(void* h, const char* name, F* fn, std::string* missing) {
  *fn = reinterpret_cast<F>(dlsym(h, name));
  if (!*fn) *missing += std::string(missing->empty() ? "" : ", ") + name;
}

std::string versionText(int v) {
  // NCCL_VERSION: X*10000 + Y*100 + Z from 2.9 on, X*1000 + Y*100 + Z before.
  const int major = v >= 10000 ? v / 10000 : v / 1000;
  const int minor = v >= 10000 ? (v / 100) % 100 : (v / 100) % 10;
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(v % 100);
}

// Loads once per process; null with `why` (every path tried, or what is wrong).
const NcclApi* loadNccl(std::string* why) {
  static std::once_flag once;
  static NcclApi api;
  static bool ok = false;
  static std::string error;
  std::call_once(once, [] {
    std::string tried;
    void* h = openCudaLibrary("libnccl.so.2", {}, "ncclGetVersion", &api.path, &tried);
    if (!h) {
      error =
          "libnccl.so.2 not found (pip install nvidia-nccl-cu12 or nvidia-nccl-cu13, or install NVIDIA's libnccl2 "
          "package; NODETORCH_CUDA_LIB_PATH may name its folder); tried:" +
          tried + searchedDirsText();
      return;
    }
    std::string missing;
    bind(h, "ncclGetVersion", &api.getVersion, &missing);
    bind(h, "ncclGetUniqueId", &api.getUniqueId, &missing);
    bind(h, "ncclCommInitRank", &api.commInitRank, &missing);
    bind(h, "ncclCommDestroy", &api.commDestroy, &missing);
    bind(h, "ncclCommAbort", &api.commAbort, &missing);
    bind(h, "ncclCommGetAsyncError", &api.commGetAsyncError, &missing);
    bind(h, "ncclGetErrorString", &api.getErrorString, &missing);
    bind(h, "ncclAllReduce", &api.allReduce, &missing);
    bind(h, "ncclBroadcast", &api.broadcast, &missing);
    bind(h, "ncclAllGather", &api.allGather, &missing);
    bind(h, "ncclReduceScatter", &api.reduceScatter, &missing);
    bind(h, "ncclGroupStart", &api.groupStart, &missing);
    bind(h, "ncclGroupEnd", &api.groupEnd, &missing);
    if (!missing.empty()) {
      error = "NCCL at " + api.path + " lacks symbols: " + missing;
      return;
    }
    if (api.getVersion(&api.version) != nccl::kSuccess) {
      error = "NCCL at " + api.path + ": ncclGetVersion failed";
      return;
    }
    if (api.version < nccl::kMinVersion) {
      error = "NCCL at " + api.path + " is version " + versionText(api.version) +
              ", too old: nodetorch needs NCCL 2.10.3 or newer (ncclAvg)";
      return;
    }
    ok = true;
  });
  if (!ok && why) *why = error;
  return ok ? &api : nullptr;
}

struct CommState {
  std::mutex m;  // guards comm against abort from another thread
  nccl::Comm comm = nullptr;
  int rank = 0, size = 1;
  float* scratch = nullptr;  // one element for barrier()
  cudaEvent_t done = nullptr;
  bool aborted = false;
};
CommState& cs() {
  static auto* s = new CommState();  // never destroyed: the driver may be gone at exit
  return *s;
}

std::string ncclText(const NcclApi& a, nccl::Result r) {
  const char* s = a.getErrorString(r);
  return std::string(s ? s : "unknown NCCL error") + " (code " + std::to_string(r) + ")";
}

int ncclType(int dtype) {
  switch (static_cast<DType>(dtype)) {
    case DType::Float32: return nccl::kFloat32;
    case DType::Float64: return nccl::kFloat64;
    case DType::Int32: return nccl::kInt32;
    case DType::Int64: return nccl::kInt64;
    default: return nccl::kUint8;  // uint8 (bool is refused by lib)
  }
}

int ncclOp(int op) {
  switch (op) {
    case 1: return nccl::kAvg;
    case 2: return nccl::kMax;
    case 3: return nccl::kMin;
    default: return nccl::kSum;
  }
}

// Aborts the communicator (ends its kernels); later calls fail.
void abortLocked(const NcclApi& a, CommState& s) {
  if (s.comm && !s.aborted) a.commAbort(s.comm);
  s.aborted = true;
  s.comm = nullptr;
}

}  // namespace

std::string ncclUnavailableReason() {
  if (!available()) return "no usable CUDA device: " + unavailableReason();
  std::string why;
  return loadNccl(&why) ? std::string() : why;
}

std::string ncclLibraryJson() {
  std::string why;
  const NcclApi* a = loadNccl(&why);
  std::string o = "{";
  jsonField(o, "path");
  if (a) appendJsonString(o, a->path);
  else o += "null";
  jsonField(o, "version");
  o += a ? "\"" + versionText(a->version) + "\"" : "null";
  jsonField(o, "error");
  if (a) o += "null";
  else appendJsonString(o, why);
  return o + "}";
}

std::string ncclUniqueId(std::string* id) {
  std::string why;
  const NcclApi* a = loadNccl(&why);
  if (!a) return why;
  nccl::UniqueId u{};
  const nccl::Result r = a->getUniqueId(&u);
  if (r != nccl::kSuccess) return "ncclGetUniqueId: " + ncclText(*a, r);
  id->assign(u.internal, sizeof(u.internal));
  return "";
}

std::string ncclInit(const std::string& id, int rank, int size) {
  std::string why;
  const NcclApi* a = loadNccl(&why);
  if (!a) return why;
  if (id.size() != sizeof(nccl::UniqueId)) return "the NCCL unique id must be 128 bytes";
  try {
    const Ctx& c = ctx();
    check(cudaSetDevice(c.device), "cudaSetDevice (nccl)");
    CommState& s = cs();
    std::lock_guard<std::mutex> lock(s.m);
    if (s.comm) return "the NCCL communicator is already initialized";
    if (!s.scratch) check(cudaMalloc(reinterpret_cast<void**>(&s.scratch), sizeof(float)), "cudaMalloc (nccl barrier)");
    if (!s.done) check(cudaEventCreateWithFlags(&s.done, cudaEventDisableTiming), "cudaEventCreate (nccl)");
    nccl::UniqueId u{};
    std::memcpy(u.internal, id.data(), sizeof(u.internal));
    nccl::Comm comm = nullptr;
    const nccl::Result r = a->commInitRank(&comm, size, u, rank);
    if (r != nccl::kSuccess) return "ncclCommInitRank: " + ncclText(*a, r);
    s.comm = comm;
    s.rank = rank;
    s.size = size;
    s.aborted = false;
  } catch (const std::exception& e) { return e.what(); }
  return "";
}

std::string ncclCollective(const NcclCall& call) {
  std::string why;
  const NcclApi* a = loadNccl(&why);
  if (!a) return why;
  CommState& s = cs();
  try {
    const Ctx& c = ctx();
    check(cudaSetDevice(c.device), "cudaSetDevice (nccl)");
    nccl::Stream stream = c.stream;
    {
      std::lock_guard<std::mutex> lock(s.m);
      if (!s.comm) return s.aborted ? "the NCCL communicator was aborted" : "the NCCL communicator is not initialized";
      const size_t n = static_cast<size_t>(call.count);
      const int t = ncclType(call.dtype), op = ncclOp(call.op);
      nccl::Result r = nccl::kSuccess;
      const char* what = "";
      switch (call.kind) {
        case NcclCall::AllReduce:
          what = "ncclAllReduce";
          if (n > 0) r = a->allReduce(call.in, call.in, n, t, op, s.comm, stream);
          break;
        case NcclCall::Broadcast:
          what = "ncclBroadcast";
          if (n > 0) r = a->broadcast(call.in, call.in, n, t, call.root, s.comm, stream);
          break;
        case NcclCall::AllGather:
          what = "ncclAllGather";
          if (n > 0) r = a->allGather(call.in, call.out, n, t, s.comm, stream);
          break;
        case NcclCall::ReduceScatter:
          what = "ncclReduceScatter";
          if (n > 0) r = a->reduceScatter(call.in, call.out, n, t, op, s.comm, stream);
          break;
        case NcclCall::Barrier:
          // As torch's barrier on NCCL: an all-reduce of one element.
          what = "ncclAllReduce (barrier)";
          r = a->allReduce(s.scratch, s.scratch, 1, nccl::kFloat32, nccl::kSum, s.comm, stream);
          break;
      }
      if (r != nccl::kSuccess && r != nccl::kInProgress) {
        const std::string err = std::string(what) + ": " + ncclText(*a, r);
        abortLocked(*a, s);
        return err;
      }
      check(cudaEventRecord(s.done, c.stream), "cudaEventRecord (nccl)");
    }
    // The watchdog: the event, the communicator's async error, the clock.
    const auto start = std::chrono::steady_clock::now();
    auto nap = std::chrono::microseconds(5);
    for (;;) {
      const cudaError_t q = cudaEventQuery(s.done);
      if (q == cudaSuccess) return "";
      if (q != cudaErrorNotReady) {
        cudaGetLastError();
        return "the NCCL collective failed on the device: " + describeCudaError(q);
      }
      std::lock_guard<std::mutex> lock(s.m);
      if (!s.comm) return "the NCCL communicator was aborted";
      nccl::Result async = nccl::kSuccess;
      a->commGetAsyncError(s.comm, &async);
      if (async != nccl::kSuccess && async != nccl::kInProgress) {
        abortLocked(*a, s);
        return "NCCL reported an asynchronous error (a peer failed or the network broke): " + ncclText(*a, async) +
               "; the communicator was aborted";
      }
      const auto ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
      if (ms > call.timeoutMs) {
        abortLocked(*a, s);
        return "the collective did not finish within " + std::to_string(call.timeoutMs) +
               " ms: a peer process died or stopped calling collectives; the NCCL communicator was aborted";
      }
      // Naps of 5 us growing to 100 us: a short collective is seen at once, a
      // long one costs a query every 100 us.
      std::this_thread::sleep_for(nap);
      if (nap < std::chrono::microseconds(100)) nap *= 2;
    }
  } catch (const std::exception& e) { return e.what(); }
}

void ncclAbort() {
  std::string why;
  const NcclApi* a = loadNccl(&why);
  if (!a) return;
  CommState& s = cs();
  // Called from the JS thread when a watchdog fired: never wait behind a
  // communication thread stuck inside an NCCL call (it aborts on its own clock).
  std::unique_lock<std::mutex> lock(s.m, std::try_to_lock);
  if (lock.owns_lock()) abortLocked(*a, s);
}

std::string ncclDestroy() {
  std::string why;
  const NcclApi* a = loadNccl(&why);
  if (!a) return why;
  CommState& s = cs();
  std::lock_guard<std::mutex> lock(s.m);
  if (!s.comm) return "";
  cudaSetDevice(ctx().device);
  const nccl::Result r = a->commDestroy(s.comm);
  s.comm = nullptr;
  return r == nccl::kSuccess ? std::string() : "ncclCommDestroy: " + ncclText(*a, r);
}

}  // namespace cuda
}  // namespace nt
