// The JavaScript side of the MPI process group (lib/distributed): loading,
// init and finalize, and the collectives. A collective reads and writes
// storage buffers on the communication thread; the job holds the buffers, so
// a tensor disposed meanwhile is freed only after it ran. An async collective
// settles its promise on the JS thread through a thread-safe function.
#include <climits>
#include <cmath>
#include <memory>
#include <unordered_map>

#include "addon/arg_reader.h"
#include "addon/kernel_bindings.h"
#include "addon/storage.h"
#include "cuda/cuda_api.h"
#include "process_group.h"

namespace nt {
namespace addon {
namespace {

using dist::Collective;
using dist::Job;
using dist::ProcessGroup;

constexpr const char* kOp = "distributed";
// How much longer the JS side waits for an NCCL collective than its timeout (lib uses the same).
constexpr int64_t kNcclGraceMs = 5000;

// JS-thread state of the group's environment.
struct JsSide {
  Napi::ThreadSafeFunction tsfn;
  bool tsfnLive = false;
  std::mutex tsfnMutex;  // guards tsfnLive against the communication thread
  std::unordered_map<uint64_t, std::unique_ptr<Napi::Promise::Deferred>> pending;
  uint64_t nextId = 1;
  Napi::Env env = nullptr;
};
JsSide& js() {
  static auto* s = new JsSide();
  return *s;
}

Napi::Value typedError(Napi::Env env, ErrorKind kind, const std::string& message) {
  AddonState& st = state(env);
  const int k = static_cast<int>(kind);
  if (st.errorClassesSet && !st.errorClasses[k].IsEmpty()) {
    return st.errorClasses[k].New({Napi::String::New(env, ""), Napi::String::New(env, message)});
  }
  return Napi::Error::New(env, message).Value();
}

double number(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (!info[i].IsNumber()) argError(kOp, std::string(what) + " must be a number");
  const double v = info[i].As<Napi::Number>().DoubleValue();
  if (!std::isfinite(v) || v != std::floor(v)) argError(kOp, std::string(what) + " must be an integer");
  return v;
}

std::string stringArg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (!info[i].IsString()) argError(kOp, std::string(what) + " must be a string");
  return info[i].As<Napi::String>().Utf8Value();
}

Napi::Value Unavailable(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    std::string reason;
    dist::loadMpiLibrary(stringArg(info, 0, "library"), reason);
    return Napi::String::New(info.Env(), reason);
  });
}

// Why the nccl backend cannot run here ("" when it can).
Napi::Value NcclUnavailable(const Napi::CallbackInfo& info) {
  return guarded(info.Env(),
                 [&]() -> Napi::Value { return Napi::String::New(info.Env(), cuda::ncclUnavailableReason()); });
}

// Where libnccl.so.2 was found and its version, or why not (needs no device).
Napi::Value NcclLibrary(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value { return Napi::String::New(info.Env(), cuda::ncclLibraryJson()); });
}

// Settling needs the job's error too: kept by id until the call lands.
std::unordered_map<uint64_t, std::string>& outcomes() {
  static auto* m = new std::unordered_map<uint64_t, std::string>();
  return *m;
}
std::mutex outcomesMutex;

void settleCall(Napi::Env env, Napi::Function, uint64_t* idp) {
  if (env == nullptr) {
    delete idp;
    return;
  }
  const uint64_t id = *idp;
  delete idp;
  std::string error;
  {
    std::lock_guard<std::mutex> lock(outcomesMutex);
    auto o = outcomes().find(id);
    if (o != outcomes().end()) {
      error = o->second;
      outcomes().erase(o);
    }
  }
  JsSide& s = js();
  auto it = s.pending.find(id);
  if (it == s.pending.end()) return;  // abandoned after a timeout
  std::unique_ptr<Napi::Promise::Deferred> d = std::move(it->second);
  s.pending.erase(it);
  if (s.pending.empty()) s.tsfn.Unref(env);
  if (error.empty()) {
    d->Resolve(env.Undefined());
  } else {
    d->Reject(typedError(env, ErrorKind::Distributed, error));
  }
}

// The thread-safe function and the teardown hook, once the group formed.
Napi::Value joined(Napi::Env env, int rank, int size);

Napi::Value Init(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    const std::string path = stringArg(info, 0, "library");
    const int64_t timeoutMs = static_cast<int64_t>(number(info, 1, "timeoutMs"));
    std::string reason;
    const dist::MpiLibrary* lib = dist::loadMpiLibrary(path, reason);
    if (lib == nullptr) throw Error(ErrorKind::Distributed, reason);
    int rank = 0, size = 1;
    ProcessGroup::get().init(lib, timeoutMs, rank, size);
    return joined(env, rank, size);
  });
}

// initNccl(mpiLibrary | '', localRank, rank, size, idFile, timeoutMs): with a
// library, MPI gives rank and size and carries the NCCL id; without, the
// arguments do and the id goes through idFile.
Napi::Value InitNccl(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    const std::string path = stringArg(info, 0, "library");
    const int localRank = static_cast<int>(number(info, 1, "localRank"));
    dist::NcclSetup setup;
    setup.rank = static_cast<int>(number(info, 2, "rank"));
    setup.size = static_cast<int>(number(info, 3, "size"));
    setup.idFile = stringArg(info, 4, "idFile");
    const int64_t timeoutMs = static_cast<int64_t>(number(info, 5, "timeoutMs"));
    if (setup.size < 1 || setup.rank < 0 || setup.rank >= setup.size) {
      argError(kOp, "rank " + std::to_string(setup.rank) + " of world size " + std::to_string(setup.size));
    }
    std::string reason = cuda::ncclUnavailableReason();
    if (!reason.empty()) throw Error(ErrorKind::Distributed, reason);
    reason = cuda::selectDevice(localRank);
    if (!reason.empty()) throw Error(ErrorKind::Distributed, reason);
    if (!path.empty()) {
      setup.mpi = dist::loadMpiLibrary(path, reason);
      if (setup.mpi == nullptr) throw Error(ErrorKind::Distributed, reason);
    } else if (setup.size > 1 && setup.idFile.empty()) {
      argError(kOp, "the nccl backend without MPI needs an id file for " + std::to_string(setup.size) + " ranks");
    }
    int rank = 0, size = 1;
    ProcessGroup::get().initNccl(setup, timeoutMs, rank, size);
    return joined(env, rank, size);
  });
}

Napi::Value joined(Napi::Env env, int rank, int size) {
  JsSide& s = js();
  s.env = env;
  s.tsfn = Napi::ThreadSafeFunction::New(env, Napi::Function::New(env, [](const Napi::CallbackInfo&) {}),
                                         "nodetorch.distributed", 0, 1);
  s.tsfn.Unref(env);
  s.tsfnLive = true;
  // At environment teardown: finalize a healthy group (mpirun expects it),
  // leave a broken one (its thread may be stuck in MPI).
  env.AddCleanupHook([]() {
    JsSide& j = js();
    {
      std::lock_guard<std::mutex> lock(j.tsfnMutex);
      if (j.tsfnLive) j.tsfn.Release();
      j.tsfnLive = false;
    }
    try {
      ProcessGroup::get().finalize(10000);
    } catch (...) {}
    ProcessGroup::get().shutdown();
  });
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, Napi::Number::New(env, rank));
  out.Set(1u, Napi::Number::New(env, size));
  return out;
}

size_t itemBytes(DType d) {
  switch (d) {
    case DType::Float64:
    case DType::Int64: return 8;
    case DType::Float32:
    case DType::Int32: return 4;
    default: return 1;
  }
}

// collective(kind, op, root, in, inOffset, count, out|null, outOffset, async, timeoutMs)
Napi::Value Collective_(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    const int kind = static_cast<int>(number(info, 0, "kind"));
    const int op = static_cast<int>(number(info, 1, "op"));
    const int root = static_cast<int>(number(info, 2, "root"));
    if (kind < 0 || kind > 4 || op < 0 || op > 3) argError(kOp, "bad collective or reduce op code");
    auto job = std::make_shared<Job>();
    job->kind = static_cast<Collective>(kind);
    job->op = static_cast<dist::ReduceOp>(op);
    job->root = root;
    const int size = static_cast<int>(number(info, 10, "worldSize"));
    if (job->kind != Collective::Barrier) {
      StorageRecord& in = unwrapStorage(info, 3, kOp);
      const double inOffset = number(info, 4, "offset");
      const double count = number(info, 5, "count");
      const bool nccl = ProcessGroup::get().backend() == dist::BackendKind::Nccl;
      const DeviceType want = nccl ? DeviceType::CUDA : DeviceType::CPU;
      const char* wrong = nccl ? "the nccl backend takes CUDA tensors, got a cpu tensor"
                               : "the mpi backend takes CPU tensors, got a cuda tensor";
      if (in.device != want) throw Error(ErrorKind::Device, wrong);
      if (count < 0 || count > INT_MAX) {
        throw Error(ErrorKind::Argument, "at most " + std::to_string(INT_MAX) + " elements per rank, got " +
                                             std::to_string(static_cast<int64_t>(count)));
      }
      const double inNeed = job->kind == Collective::ReduceScatter ? count * size : count;
      if (inOffset < 0 || inOffset + inNeed > static_cast<double>(in.numel)) {
        argError(kOp, "input range exceeds its storage");
      }
      job->dtype = in.dtype;
      job->count = static_cast<int64_t>(count);
      job->keepIn = in.buffer;
      job->in = in.ptr == nullptr ? nullptr
                                  : static_cast<char*>(in.ptr) + static_cast<size_t>(inOffset) * itemBytes(in.dtype);
      if (job->kind == Collective::AllGather || job->kind == Collective::ReduceScatter) {
        StorageRecord& out = unwrapStorage(info, 6, kOp);
        const double outOffset = number(info, 7, "outOffset");
        const double outNeed = job->kind == Collective::AllGather ? count * size : count;
        if (out.device != want) throw Error(ErrorKind::Device, wrong);
        if (out.dtype != in.dtype) throw Error(ErrorKind::DType, "output and input dtypes differ");
        if (outOffset < 0 || outOffset + outNeed > static_cast<double>(out.numel)) {
          argError(kOp, "output range exceeds its storage");
        }
        job->keepOut = out.buffer;
        job->out = out.ptr == nullptr
                       ? nullptr
                       : static_cast<char*>(out.ptr) + static_cast<size_t>(outOffset) * itemBytes(out.dtype);
      }
    }
    const bool async = info[8].ToBoolean().Value();
    const int64_t timeoutMs = static_cast<int64_t>(number(info, 9, "timeoutMs"));
    ProcessGroup& pg = ProcessGroup::get();
    job->timeoutMs = timeoutMs;
    // NCCL's own watchdog (nccl_comm.cpp) fires first, with NCCL's reason.
    const int64_t waitMs = pg.backend() == dist::BackendKind::Nccl ? timeoutMs + kNcclGraceMs : timeoutMs;
    if (!async) {
      pg.submit(job, nullptr);
      if (!pg.wait(*job, waitMs)) {
        if (pg.backend() == dist::BackendKind::Nccl) cuda::ncclAbort();
        throw Error(ErrorKind::Distributed, "the collective did not finish within " + std::to_string(timeoutMs) +
                                                " ms: a peer process died or stopped calling collectives");
      }
      if (!job->error.empty()) throw Error(ErrorKind::Distributed, job->error);
      return env.Undefined();
    }
    JsSide& s = js();
    const uint64_t id = s.nextId++;
    auto deferred = std::make_unique<Napi::Promise::Deferred>(env);
    Napi::Promise promise = deferred->Promise();
    pg.submit(job, [id](const std::shared_ptr<Job>& j) {
      {
        std::lock_guard<std::mutex> lock(outcomesMutex);
        outcomes()[id] = j->error;
      }
      JsSide& side = js();
      std::lock_guard<std::mutex> lock(side.tsfnMutex);
      if (side.tsfnLive) {
        auto* idp = new uint64_t(id);
        if (side.tsfn.BlockingCall(idp, settleCall) != napi_ok) delete idp;
      }
    });
    if (s.pending.empty()) s.tsfn.Ref(env);
    s.pending.emplace(id, std::move(deferred));
    return promise;
  });
}

// A collective's watchdog fired in JS: the group is broken; pending promises
// stop keeping the process alive.
Napi::Value Abandon(const Napi::CallbackInfo& info) {
  ProcessGroup::get().markBroken();
  if (ProcessGroup::get().backend() == dist::BackendKind::Nccl) cuda::ncclAbort();
  JsSide& s = js();
  if (!s.pending.empty()) {
    s.pending.clear();
    s.tsfn.Unref(info.Env());
  }
  return info.Env().Undefined();
}

Napi::Value Finalize(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    ProcessGroup::get().finalize(static_cast<int64_t>(number(info, 0, "timeoutMs")));
    return info.Env().Undefined();
  });
}

Napi::Value State(const Napi::CallbackInfo& info) {
  ProcessGroup& pg = ProcessGroup::get();
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("initialized", pg.initialized());
  o.Set("finalized", pg.finalized());
  o.Set("broken", pg.broken());
  return o;
}

}  // namespace

void registerDistributedBindings(Napi::Env env, Napi::Object exports) {
  exports.Set("distUnavailable", Napi::Function::New(env, Unavailable, "distUnavailable"));
  exports.Set("distInit", Napi::Function::New(env, Init, "distInit"));
  exports.Set("distNcclUnavailable", Napi::Function::New(env, NcclUnavailable, "distNcclUnavailable"));
  exports.Set("distNcclLibrary", Napi::Function::New(env, NcclLibrary, "distNcclLibrary"));
  exports.Set("distInitNccl", Napi::Function::New(env, InitNccl, "distInitNccl"));
  exports.Set("distCollective", Napi::Function::New(env, Collective_, "distCollective"));
  exports.Set("distAbandon", Napi::Function::New(env, Abandon, "distAbandon"));
  exports.Set("distFinalize", Napi::Function::New(env, Finalize, "distFinalize"));
  exports.Set("distState", Napi::Function::New(env, State, "distState"));
}

}  // namespace addon
}  // namespace nt
